using System.Text;
using System.Text.Json;

namespace KlingGenerated;

// CUSTOM: the service reports most errors inside HTTP 200 bodies, and its edge sends non-JSON bodies; map all of it to KlingApiException.
public partial class KlingClient
{
    private async Task ProcessResponseAsync(HttpClient client, HttpRequestMessage sent, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = BufferedBody.RetryAfterOf(response.Headers.RetryAfter);
        HttpRequestMessage request = response.RequestMessage ?? sent;

        // The API never redirects: a 3xx is not followed (the prompt and the key stay here), and one an HttpClient followed is not believed.
        var bodyLeft = KlingOperation.BodyLeft(sent);
        if (status is >= 300 and <= 399)
        {
            throw KlingApiException.ForRedirect(KlingOperation.Outcome(sent, KlingAttempt.Http(status, envelope: false, 0, bodyLeft)), response.Headers.Location?.OriginalString);
        }

        var expected = BaseOf(sent) ?? client.BaseAddress ?? _requestBase;
        if (request.RequestUri is { IsAbsoluteUri: true } reached && !IsUnder(expected, reached))
        {
            throw KlingApiException.ForFollowedRedirect(KlingOperation.IdOf(sent), expected, reached);
        }

        // One outcome per answer, from the document's rules (Outcomes/KlingOutcomeClassifier.cs); nothing is decided here.
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var body = await ReadBodyAsync(client, sent, response, cancellationToken).ConfigureAwait(false)
            ?? throw KlingApiException.ForUnreadableBody(KlingOperation.Outcome(sent, KlingAttempt.Http(status, envelope: false, 0, bodyLeft)), $"a body larger than the {_options.MaxResponseBytes} bytes this client reads (see KlingClientOptions.MaxResponseBytes)", retryAfter);

        if (!ServiceEnvelope.TryRead(body.Memory.Span, out var code, out var message, out var success))
        {
            throw KlingApiException.ForUnreadableBody(KlingOperation.Outcome(sent, KlingAttempt.Http(status, envelope: false, 0, bodyLeft)), WithoutKey(DescribeBody(body.Memory.Span, contentType))!, retryAfter);
        }

        var outcome = KlingOperation.Outcome(sent, KlingAttempt.Http(status, envelope: true, code, bodyLeft, success));
        if (!outcome.IsSuccess)
        {
            throw KlingApiException.ForAnswer(outcome, WithoutKey(message), retryAfter);
        }
    }

    /// <summary>
    /// Reads the body, unless KlingResilienceHandler already did under its attempt timeout. Without that handler the
    /// body is read under what is left of HttpClient.Timeout, which by itself covers only the headers.
    /// </summary>
    private async ValueTask<BufferedBody?> ReadBodyAsync(HttpClient client, HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var deadline = client.Timeout == Timeout.InfiniteTimeSpan || response.Content is BufferedBody ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline?.CancelAfter(client.Timeout);

        try
        {
            return await BufferedBody.ReplaceContentAsync(response, _options.MaxResponseBytes, deadline?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && deadline is { IsCancellationRequested: true })
        {
            var outcome = KlingOperation.Outcome(request, KlingAttempt.TimedOut(KlingOperation.BodyLeft(request)));
            throw KlingApiException.ForOutcome(outcome,
                $"The service sent the headers of {request.Method} {request.RequestUri?.AbsolutePath} but not the rest of the answer within {client.Timeout.TotalSeconds:0.#} s (HttpClient.Timeout). " +
                (outcome.TaskMayExist ? "The task may or may not have been created: check your callback or the credits before submitting again" : "Try again later"), exception);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw KlingResilienceHandler.BrokenAnswer(request, exception, attempts: 1, retried: false);
        }
    }

    /// <summary>True when <paramref name="reached"/> is on the service's scheme, host and port, under its base path: an HttpClient that follows redirects did not leave it.</summary>
    private static bool IsUnder(Uri baseUrl, Uri reached) =>
        reached.Scheme == baseUrl.Scheme && reached.Port == baseUrl.Port
        && string.Equals(reached.Host, baseUrl.Host, StringComparison.OrdinalIgnoreCase)
        && reached.AbsolutePath.StartsWith(baseUrl.AbsolutePath, StringComparison.Ordinal);

    /// <summary>Service text is shown and stored by callers: a service (or proxy) that echoes the key must not leak it there.</summary>
    private string? WithoutKey(string? text) =>
        text is null || string.IsNullOrEmpty(_options.ApiKey) ? text : KlingSecrets.Mask(text.Replace(_options.ApiKey, KlingSecrets.Replacement, StringComparison.Ordinal));

    private static string DescribeBody(ReadOnlySpan<byte> body, string? contentType)
    {
        if (body.Length == 0)
        {
            return "an empty body";
        }

        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 400)]);
        if (contentType == "text/html" || text.TrimStart().StartsWith('<'))
        {
            return $"an HTML page ({body.Length} bytes)";
        }

        var printable = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return printable.Length > 120
            ? $"an unreadable body (\"{printable[..117]}...\")"
            : $"an unreadable body (\"{printable}\")";
    }
}

/// <summary>Reads the <c>{code, msg}</c> envelope without trusting its shape, in one forward pass.</summary>
internal static class ServiceEnvelope
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// True when <paramref name="body"/> is one well-formed JSON object with an integer <c>code</c>; also returns
    /// <c>msg</c>, else <c>message</c>, when the code is not 200. Allocates nothing for a success envelope.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out int code, out string? message) => TryRead(body, out code, out message, out _);

    /// <summary>As above, and the envelope's <c>success</c> when it is a JSON boolean (the upload operations send it), else null.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out int code, out string? message, out bool? success)
    {
        code = 0;
        success = null;
        message = null;
        string? msg = null, legacyMessage = null;
        var hasCode = false;
        try
        {
            var reader = new Utf8JsonReader(body, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    // The document's fact `body`: a JSON integer in int32's range; a string of digits ("200") is no envelope.
                    hasCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out code);
                }
                else if (reader.ValueTextEquals("success"u8))
                {
                    reader.Read();
                    success = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => null };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("msg"u8) || reader.ValueTextEquals("message"u8))
                {
                    var isMsg = reader.ValueTextEquals("msg"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !(hasCode && code == 200 && success != false))
                    {
                        if (isMsg)
                        {
                            msg = reader.GetString();
                        }
                        else
                        {
                            legacyMessage = reader.GetString();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // The object must close and nothing may follow it; reading on checks the rest of the document.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return false;
            }

            message = msg ?? legacyMessage;
            return hasCode;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 inside a string is found only when the string is read.
            return false;
        }
    }
}
