using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using KlingGenerated.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using JsonException = Newtonsoft.Json.JsonException;
using JsonReaderOptions = System.Text.Json.JsonReaderOptions;
using JsonTokenType = System.Text.Json.JsonTokenType;
using Utf8JsonReader = System.Text.Json.Utf8JsonReader;

namespace KlingGenerated;

/// <summary>A completion callback the service POSTed to <c>callBackUrl</c>.</summary>
public sealed class KlingCallback
{
    internal KlingCallback(string taskId, int code, TaskRecord record)
    {
        TaskId = taskId;
        Code = code;
        Record = record;
    }

    /// <summary>The task the callback is about; de-duplicate deliveries by it.</summary>
    public string TaskId { get; }

    /// <summary>The envelope's code: 200 for a task that succeeded, 501 for one that failed.</summary>
    public int Code { get; }

    /// <summary>The task record the callback carries. The signature does not cover it: query the task for the authoritative result.</summary>
    public TaskRecord Record { get; }
}

/// <summary>A callback that failed verification or could not be read. Answer it with HTTP 401 (or 400) and do not act on it.</summary>
public sealed class KlingWebhookException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KlingWebhookException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Verifies and reads the service's completion callbacks. The signature is
/// <c>base64(HMAC-SHA256(key = webhookHmacKey as UTF-8, message = taskId + "." + timestamp))</c>.
/// </summary>
// CUSTOM: webhook verification has no operation to generate from; the document's callbacks object describes what this checks.
public static class KlingWebhook
{
    /// <summary>The default tolerance between the callback's timestamp and now: the document's <c>toleranceSeconds</c> (300 s).</summary>
    public static readonly TimeSpan DefaultTolerance = KlingDocumentRules.Callback.Tolerance;

    /// <summary>
    /// The largest callback body read, in UTF-8 bytes: the document's <c>body.maxBytes</c> (1 MiB); records are a few kilobytes.
    /// </summary>
    public static readonly int MaxBodyLength = KlingDocumentRules.Callback.MaxBodyBytes;

    /// <summary>The signature header's value for a task and timestamp.</summary>
    public static string ComputeSignature(string taskId, long timestampSeconds, string hmacKey)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentException.ThrowIfNullOrEmpty(hmacKey);
        return Convert.ToBase64String(Signature(taskId, timestampSeconds, hmacKey));
    }

    private static byte[] Signature(string taskId, long timestampSeconds, string hmacKey) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(hmacKey), Encoding.UTF8.GetBytes(taskId + "." + timestampSeconds.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Verifies a signed callback and reads it. Throws for a missing header, a timestamp outside
    /// <paramref name="tolerance"/> (either way), a bad signature or a malformed body. The signature is checked before
    /// the body is deserialized (a cheap forward-only scan finds the task id it covers), and compared in constant time
    /// as text: only the canonical base64 of the expected bytes is accepted.
    /// </summary>
    /// <param name="body">The request body as received.</param>
    /// <param name="timestampHeader">The <c>X-Webhook-Timestamp</c> header.</param>
    /// <param name="signatureHeader">The <c>X-Webhook-Signature</c> header.</param>
    /// <param name="hmacKey">The account's webhook HMAC key.</param>
    /// <param name="tolerance">How far the timestamp may be from now; 5 minutes by default.</param>
    /// <param name="now">The current time; tests pass a fixed one.</param>
    /// <exception cref="KlingWebhookException">The callback is not authentic or not readable.</exception>
    public static KlingCallback ParseAndVerify(string body, string? timestampHeader, string? signatureHeader, string hmacKey, TimeSpan? tolerance = null, DateTimeOffset? now = null) =>
        ParseAndVerify(body, timestampHeader, signatureHeader, hmacKey, tolerance, now, logger: null);

    /// <summary>
    /// As <see cref="ParseAndVerify(string, string?, string?, string, TimeSpan?, DateTimeOffset?)"/>, and logs the result
    /// to <paramref name="logger"/>: a rejection at Warning (with its reason, never the signature or the key), an accepted
    /// callback at Debug. Every check also makes a <c>receive_callback</c> span and counts in <c>kling.webhook.verifications</c>.
    /// </summary>
    /// <exception cref="KlingWebhookException">The callback is not authentic or not readable.</exception>
    public static KlingCallback ParseAndVerify(string body, string? timestampHeader, string? signatureHeader, string hmacKey, TimeSpan? tolerance, DateTimeOffset? now, Microsoft.Extensions.Logging.ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(hmacKey);
        var check = new WebhookCheck();
        try
        {
            var callback = Verify(body, timestampHeader, signatureHeader, hmacKey, tolerance, now, check);
            WebhookTelemetry.Record(WebhookTelemetry.Results.Verified, callback.TaskId, logger);
            return callback;
        }
        catch (KlingWebhookException) when (check.Rejected(logger))
        {
            throw;
        }
    }

    private static KlingCallback Verify(string body, string? timestampHeader, string? signatureHeader, string hmacKey, TimeSpan? tolerance, DateTimeOffset? now, WebhookCheck check)
    {
        if (string.IsNullOrWhiteSpace(timestampHeader))
        {
            throw new KlingWebhookException("The callback has no X-Webhook-Timestamp header: it is unsigned. Enable webhook signing for the account, or use KlingWebhook.Parse for unsigned callbacks.");
        }

        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            throw new KlingWebhookException("The callback has no X-Webhook-Signature header: it is unsigned. Reject it.");
        }

        check.Result = WebhookTelemetry.Results.BadTimestamp;
        if (!long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            throw new KlingWebhookException("X-Webhook-Timestamp is not Unix seconds. Reject the callback.");
        }

        var skew = (now ?? DateTimeOffset.UtcNow) - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253402300799));
        var allowed = tolerance ?? DefaultTolerance;
        if (skew.Duration() > allowed)
        {
            check.Result = WebhookTelemetry.Results.Stale;
            throw new KlingWebhookException(skew > TimeSpan.Zero
                ? $"The callback's timestamp is {skew.TotalSeconds:0} s old, beyond the {allowed.TotalSeconds:0} s tolerance: a replay or a stale delivery. Reject it."
                : $"The callback's timestamp is {(-skew).TotalSeconds:0} s in the future, beyond the {allowed.TotalSeconds:0} s tolerance. Reject it; check this machine's clock if it persists.");
        }

        check.Result = WebhookTelemetry.Results.BadSignature;
        var given = signatureHeader.Trim();
        if (!IsBase64(given))
        {
            throw new KlingWebhookException("X-Webhook-Signature is not base64. Reject the callback.");
        }

        // The signature covers the task id only: find it with a cheap forward-only scan, verify, and only then deserialize.
        check.Result = WebhookTelemetry.Results.Malformed;
        var scanned = Scan(body);
        check.TaskId = scanned.TaskId;
        check.Result = WebhookTelemetry.Results.BadSignature;
        var expected = ComputeSignature(scanned.TaskId, timestamp, hmacKey);

        // Compared as text, in constant time: base64 has several spellings of the same bytes (the last character's unused
        // bits), and only the canonical one is the signature, as Stripe and Standard Webhooks compare.
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected.AsSpan()), MemoryMarshal.AsBytes(given.AsSpan())))
        {
            throw new KlingWebhookException($"The signature of the callback for task {Printable(scanned.TaskId)} does not match: it was forged, altered or signed with another key. Reject it.");
        }

        check.Result = WebhookTelemetry.Results.Malformed;
        return Read(body, scanned);
    }

    /// <summary>Reads an unsigned callback. The task id comes from <c>data.taskId</c>, then <c>data.task_id</c>, then a top-level <c>taskId</c>.</summary>
    /// <exception cref="KlingWebhookException">The body is not a callback: not one JSON object, data after it, no task id, or no integer code.</exception>
    public static KlingCallback Parse(string body)
    {
        var check = new WebhookCheck { Result = WebhookTelemetry.Results.Malformed };
        try
        {
            var scanned = Scan(body);
            check.TaskId = scanned.TaskId;
            var callback = Read(body, scanned);
            WebhookTelemetry.Record(WebhookTelemetry.Results.Unsigned, callback.TaskId, logger: null);
            return callback;
        }
        catch (KlingWebhookException) when (check.Rejected(logger: null))
        {
            throw;
        }
    }

    /// <summary>What the forward-only scan found: the task id and the code, both checked.</summary>
    private readonly record struct Scanned(string TaskId, int Code);

    /// <summary>
    /// One forward pass over the body that finds the task id and the code without building anything, and checks that
    /// the body is exactly one JSON object: no trailing data, no code outside the int range.
    /// </summary>
    private static Scanned Scan(string body)
    {
        if (string.IsNullOrEmpty(body))
        {
            throw new KlingWebhookException("The callback body is empty.");
        }

        // The limit counts UTF-8 bytes, as received; a string has at least as many bytes as characters, so counting is needed only near it.
        if (body.Length > MaxBodyLength || (body.Length > MaxBodyLength / 3 && Encoding.UTF8.GetByteCount(body) > MaxBodyLength))
        {
            throw new KlingWebhookException($"The callback body is more than the {MaxBodyLength} bytes a callback can be. Reject it.");
        }

        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(body.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(body, bytes);
            var reader = new Utf8JsonReader(bytes.AsSpan(0, length), new JsonReaderOptions { MaxDepth = 64 });
            string? dataTaskId = null, dataSnakeTaskId = null, topTaskId = null;
            long? code = null;
            bool codeIsInteger = false, sawCode = false, sawTaskId = false, sawData = false;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new KlingWebhookException("The callback body is not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    Once(ref sawCode, "code");
                    reader.Read();
                    codeIsInteger = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number) && (code = number) is not null;
                    if (reader.TokenType == JsonTokenType.Number && !codeIsInteger)
                    {
                        codeIsInteger = IsIntegerText(reader.ValueSpan);
                        code = codeIsInteger ? long.MaxValue : null; // an integer beyond long: out of range below
                    }
                }
                else if (reader.ValueTextEquals("taskId"u8))
                {
                    Once(ref sawTaskId, "taskId");
                    reader.Read();
                    topTaskId ??= reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    Once(ref sawData, "data");
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    bool sawDataTaskId = false, sawDataSnake = false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isTaskId = reader.ValueTextEquals("taskId"u8);
                        var isSnake = !isTaskId && reader.ValueTextEquals("task_id"u8);
                        if (isTaskId)
                        {
                            Once(ref sawDataTaskId, "data.taskId");
                        }
                        else if (isSnake)
                        {
                            Once(ref sawDataSnake, "data.task_id");
                        }

                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String && (isTaskId || isSnake))
                        {
                            if (isTaskId)
                            {
                                dataTaskId ??= reader.GetString();
                            }
                            else
                            {
                                dataSnakeTaskId ??= reader.GetString();
                            }
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Reading past the object's end checks the rest: anything but whitespace after it is an error.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new KlingWebhookException("The callback body has data after its JSON object. Reject it.");
            }

            var taskId = dataTaskId ?? dataSnakeTaskId ?? topTaskId;
            if (string.IsNullOrEmpty(taskId))
            {
                throw new KlingWebhookException("The callback names no task: none of data.taskId, data.task_id or taskId is set.");
            }

            if (!codeIsInteger || code is null)
            {
                throw new KlingWebhookException($"The callback for task {Printable(taskId)} has no integer code.");
            }

            if (code is < int.MinValue or > int.MaxValue)
            {
                throw new KlingWebhookException($"The callback for task {Printable(taskId)} has a code outside the range of the service's codes. Reject it.");
            }

            return new Scanned(taskId, (int)code.Value);
        }
        catch (System.Text.Json.JsonException exception)
        {
            throw new KlingWebhookException(exception.Message.Contains("after a single JSON value", StringComparison.Ordinal)
                ? "The callback body has data after its JSON object. Reject it."
                : $"The callback body is not valid JSON ({exception.Message}).", exception);
        }
        catch (InvalidOperationException exception)
        {
            // Invalid UTF-8 or escapes inside a string are found only when the string is read.
            throw new KlingWebhookException($"The callback body is not valid JSON ({exception.Message}).", exception);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// A key the scan reads must appear once: with two, a reader that keeps the first (as the scan does, for the signature)
    /// and one that keeps the last (as deserializers do, for the record) would see two different callbacks.
    /// </summary>
    private static void Once(ref bool seen, string key)
    {
        if (seen)
        {
            throw new KlingWebhookException($"The callback body has the key '{key}' twice. Reject it: a strict reader and a lenient one would read different callbacks from it.");
        }

        seen = true;
    }

    /// <summary>Deserializes the record of a callback the scan accepted (and, when signed, that was verified); a key twice in any object is refused.</summary>
    private static KlingCallback Read(string body, Scanned scanned)
    {
        TaskRecord record;
        try
        {
            using var reader = new JsonTextReader(new StringReader(body)) { MaxDepth = 64, DateParseHandling = DateParseHandling.None };
            var root = (JObject)JToken.ReadFrom(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            if (KlingDocumentRules.Callback.DuplicateKeysIgnoreCase)
            {
                RefuseKeysDifferingOnlyInCase(root, scanned.TaskId);
            }
            var copy = root["data"] is JObject data ? (JObject)data.DeepClone() : new JObject();
            copy["taskId"] = scanned.TaskId;
            record = copy.ToObject<TaskRecord>(JsonSerializer.Create(KlingClient.CallbackSerializerSettings))!;
        }
        catch (JsonReaderException exception) when (exception.Message.StartsWith("Property with the name", StringComparison.Ordinal))
        {
            throw new KlingWebhookException($"The callback for task {Printable(scanned.TaskId)} has a key twice in one object (at {exception.Path}). Reject it: a strict reader and a lenient one would read different records from it.", exception);
        }
        catch (JsonException exception)
        {
            throw new KlingWebhookException($"The callback for task {Printable(scanned.TaskId)} carries a record this client cannot read ({exception.Message}).", exception);
        }

        return new KlingCallback(scanned.TaskId, scanned.Code, record);
    }

    /// <summary>
    /// Keys that differ only in case (taskId, TaskId) are one key to a case-insensitive deserializer, which keeps the last:
    /// the record would not be the task the signature covers.
    /// </summary>
    private static void RefuseKeysDifferingOnlyInCase(JToken token, string taskId)
    {
        if (token is JObject obj)
        {
            var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in obj.Properties())
            {
                if (!seen.TryAdd(property.Name, property.Name))
                {
                    var at = obj.Path.Length == 0 ? "at the top level" : $"in {obj.Path}";
                    throw new KlingWebhookException($"The callback for task {Printable(taskId)} has the keys '{Printable(seen[property.Name])}' and '{Printable(property.Name)}' {at}, which differ only in case. Reject it: a case-insensitive reader would read them as one key twice.");
                }
            }
        }

        foreach (var child in token.Children())
        {
            RefuseKeysDifferingOnlyInCase(child, taskId);
        }
    }

    private static bool IsIntegerText(ReadOnlySpan<byte> number)
    {
        foreach (var b in number)
        {
            if (b is (byte)'.' or (byte)'e' or (byte)'E')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBase64(string text)
    {
        if (text.Length is 0 or > 256)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[192];
        return Convert.TryFromBase64String(text, decoded, out _);
    }

    private static string Printable(string text) =>
        new(text.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());}
