using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

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
    /// <summary>The default tolerance between the callback's timestamp and now.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The largest callback body read (1 MiB); records are a few kilobytes.</summary>
    public const int MaxBodyLength = 1024 * 1024;

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
    /// <paramref name="tolerance"/> (either way), a bad signature or a malformed body. Comparison is constant-time.
    /// </summary>
    /// <param name="body">The request body as received.</param>
    /// <param name="timestampHeader">The <c>X-Webhook-Timestamp</c> header.</param>
    /// <param name="signatureHeader">The <c>X-Webhook-Signature</c> header.</param>
    /// <param name="hmacKey">The account's webhook HMAC key.</param>
    /// <param name="tolerance">How far the timestamp may be from now; 5 minutes by default.</param>
    /// <param name="now">The current time; tests pass a fixed one.</param>
    /// <exception cref="KlingWebhookException">The callback is not authentic or not readable.</exception>
    public static KlingCallback ParseAndVerify(string body, string? timestampHeader, string? signatureHeader, string hmacKey, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(hmacKey);
        if (string.IsNullOrWhiteSpace(timestampHeader))
        {
            throw new KlingWebhookException("The callback has no X-Webhook-Timestamp header: it is unsigned. Enable webhook signing for the account, or use KlingWebhook.Parse for unsigned callbacks.");
        }

        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            throw new KlingWebhookException("The callback has no X-Webhook-Signature header: it is unsigned. Reject it.");
        }

        if (!long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            throw new KlingWebhookException("X-Webhook-Timestamp is not Unix seconds. Reject the callback.");
        }

        var skew = (now ?? DateTimeOffset.UtcNow) - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253402300799));
        var allowed = tolerance ?? DefaultTolerance;
        if (skew.Duration() > allowed)
        {
            throw new KlingWebhookException(skew > TimeSpan.Zero
                ? $"The callback's timestamp is {skew.TotalSeconds:0} s old, beyond the {allowed.TotalSeconds:0} s tolerance: a replay or a stale delivery. Reject it."
                : $"The callback's timestamp is {(-skew).TotalSeconds:0} s in the future, beyond the {allowed.TotalSeconds:0} s tolerance. Reject it; check this machine's clock if it persists.");
        }

        byte[] given;
        try
        {
            given = Convert.FromBase64String(signatureHeader.Trim());
        }
        catch (FormatException exception)
        {
            throw new KlingWebhookException("X-Webhook-Signature is not base64. Reject the callback.", exception);
        }

        var callback = Parse(body);
        if (!CryptographicOperations.FixedTimeEquals(Signature(callback.TaskId, timestamp, hmacKey), given))
        {
            throw new KlingWebhookException($"The signature of the callback for task {callback.TaskId} does not match: it was forged, altered or signed with another key. Reject it.");
        }

        return callback;
    }

    /// <summary>Reads an unsigned callback. The task id comes from <c>data.taskId</c>, then <c>data.task_id</c>, then a top-level <c>taskId</c>.</summary>
    /// <exception cref="KlingWebhookException">The body is not a callback.</exception>
    public static KlingCallback Parse(string body)
    {
        if (string.IsNullOrEmpty(body))
        {
            throw new KlingWebhookException("The callback body is empty.");
        }

        if (body.Length > MaxBodyLength)
        {
            throw new KlingWebhookException($"The callback body is {body.Length} characters, more than the {MaxBodyLength} a callback can be. Reject it.");
        }

        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(body)) { MaxDepth = 64, DateParseHandling = DateParseHandling.None };
            root = JToken.ReadFrom(reader) as JObject ?? throw new KlingWebhookException("The callback body is not a JSON object.");
        }
        catch (JsonException exception)
        {
            throw new KlingWebhookException($"The callback body is not valid JSON ({exception.Message}).", exception);
        }

        var data = root["data"] as JObject;
        var taskId = Text(data?["taskId"]) ?? Text(data?["task_id"]) ?? Text(root["taskId"]);
        if (string.IsNullOrEmpty(taskId))
        {
            throw new KlingWebhookException("The callback names no task: none of data.taskId, data.task_id or taskId is set.");
        }

        if (root["code"] is not JValue { Type: JTokenType.Integer } codeToken)
        {
            throw new KlingWebhookException($"The callback for task {taskId} has no integer code.");
        }

        TaskRecord record;
        try
        {
            var copy = (JObject)(data?.DeepClone() ?? new JObject());
            copy["taskId"] = taskId;
            record = copy.ToObject<TaskRecord>(JsonSerializer.Create(KlingClient.CallbackSerializerSettings))!;
        }
        catch (JsonException exception)
        {
            throw new KlingWebhookException($"The callback for task {taskId} carries a record this client cannot read ({exception.Message}).", exception);
        }

        return new KlingCallback(taskId, (int)codeToken, record);
    }

    private static string? Text(JToken? token) => token is JValue { Type: JTokenType.String } value ? (string?)value : null;
}
