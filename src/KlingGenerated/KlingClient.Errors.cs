using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KlingGenerated;

// CUSTOM: the service reports most errors inside HTTP 200 bodies, and its edge sends non-JSON bodies; map all of it to KlingApiException.
public partial class KlingClient
{
    private async Task ProcessResponseAsync(HttpClient client, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        _ = client;
        var status = (int)response.StatusCode;
        var retryAfter = RetryAfterOf(response.Headers.RetryAfter);
        var body = await ReadCappedAsync(response, _options.MaxResponseBytes, retryAfter, cancellationToken).ConfigureAwait(false);

        // The generated code reads the body again, so hand it the buffered copy with the same content headers.
        var buffered = new ByteArrayContent(body);
        foreach (var header in response.Content.Headers)
        {
            buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        var contentType = response.Content.Headers.ContentType?.MediaType;
        response.Content.Dispose();
        response.Content = buffered;

        if (!ServiceEnvelope.TryRead(body, out var code, out var message))
        {
            throw KlingApiException.ForUnreadableBody(status, DescribeBody(body, contentType), retryAfter);
        }

        if (status is < 200 or > 299 || code != 200)
        {
            throw new KlingApiException(code == 200 ? status : code, status, message, retryAfter);
        }
    }

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, int maxBytes, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw KlingApiException.ForUnreadableBody(status, $"a body of {response.Content.Headers.ContentLength} bytes (more than the {maxBytes} this client reads; see KlingClientOptions.MaxResponseBytes)", retryAfter);
        }

        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var copy = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (copy.Length + read > maxBytes)
            {
                throw KlingApiException.ForUnreadableBody(status, $"a body of more than {maxBytes} bytes (the most this client reads; see KlingClientOptions.MaxResponseBytes)", retryAfter);
            }

            copy.Write(chunk, 0, read);
        }

        return copy.ToArray();
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static string DescribeBody(byte[] body, string? contentType)
    {
        if (body.Length == 0)
        {
            return "an empty body";
        }

        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 400));
        if (contentType == "text/html" || text.TrimStart().StartsWith('<'))
        {
            return $"an HTML page ({body.Length} bytes)";
        }

        var printable = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return printable.Length > 120
            ? $"a body that is not its JSON envelope (\"{printable[..117]}...\")"
            : $"a body that is not its JSON envelope (\"{printable}\")";
    }
}

/// <summary>Reads the <c>{code, msg}</c> envelope without trusting its shape.</summary>
internal static class ServiceEnvelope
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>True when <paramref name="body"/> is a JSON object with an integer <c>code</c>; also returns <c>msg</c>, else <c>message</c>.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, out int code, out string? message)
    {
        code = 0;
        message = null;
        try
        {
            using var document = JsonDocument.Parse(body, Options);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("code", out var codeElement))
            {
                return false;
            }

            var hasCode = codeElement.ValueKind switch
            {
                JsonValueKind.Number => codeElement.TryGetInt32(out code),
                JsonValueKind.String => int.TryParse(codeElement.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out code),
                _ => false,
            };

            message = TextOf(root, "msg") ?? TextOf(root, "message");
            return hasCode;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 inside a string is found only when the string is read.
            return false;
        }
    }

    private static string? TextOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
