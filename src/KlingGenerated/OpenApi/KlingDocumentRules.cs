using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>
/// Rules the document states as data outside its schemas, read once: how a client waits for a task
/// (<c>x-kling-polling</c> on GetTaskRecord) and what a callback receiver checks (<c>x-kling-callback-checks</c> on the
/// NotifyTaskFinished callback).
/// </summary>
// CUSTOM: these rules are data in the document, read at run time like the prices and the validation rules, never copied into C#.
internal static class KlingDocumentRules
{
    private static readonly Lazy<PollingRules> LazyPolling = new(() => ReadPolling(KlingOpenApiDocument.Root), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<CallbackRules> LazyCallback = new(() => ReadCallback(KlingOpenApiDocument.Root), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The task ids' places the receiver's forward-only scan reads, in order; the document must say the same.</summary>
    internal static readonly IReadOnlyList<string> ScannedTaskIdPlaces = ["/data/taskId", "/data/task_id", "/taskId"];

    /// <summary>The embedded document's <c>x-kling-polling</c>.</summary>
    public static PollingRules Polling => LazyPolling.Value;

    /// <summary>The embedded document's <c>x-kling-callback-checks</c>.</summary>
    public static CallbackRules Callback => LazyCallback.Value;

    /// <summary>Reads <c>x-kling-polling</c> from the GetTaskRecord operation of <paramref name="root"/>.</summary>
    public static PollingRules ReadPolling(JObject root)
    {
        var polling = OperationIn(root, "GetTaskRecord")?["x-kling-polling"] as JObject
            ?? throw new InvalidOperationException("The OpenAPI document has no x-kling-polling on GetTaskRecord; the client cannot tell how to wait.");
        var delay = (JObject)polling["delaySeconds"]!;
        var notVisibleYet = (JObject)polling["notVisibleYet"]!;
        return new PollingRules(
            TimeSpan.FromSeconds((double)delay["initialSeconds"]!),
            (double)delay["growth"]!,
            TimeSpan.FromSeconds((double)delay["maxSeconds"]!),
            TimeSpan.FromSeconds((double)polling["timeoutSeconds"]!),
            TimeSpan.FromSeconds((double)notVisibleYet["graceSeconds"]!),
            notVisibleYet["answers"]!.Select(a => new NotVisibleYetAnswer((int)a["code"]!, (string?)a["messageContains"])).ToArray());
    }

    /// <summary>Reads <c>x-kling-callback-checks</c> from the NotifyTaskFinished callback of <paramref name="root"/>.</summary>
    /// <exception cref="InvalidOperationException">The document asks for a check this receiver does not implement.</exception>
    public static CallbackRules ReadCallback(JObject root)
    {
        var checks = OperationIn(root, "NotifyTaskFinished")?["x-kling-callback-checks"] as JObject
            ?? throw new InvalidOperationException("The OpenAPI document has no x-kling-callback-checks on NotifyTaskFinished; the receiver cannot tell what to check.");
        var body = (JObject)checks["body"]!;
        var places = body["taskIdAt"]!.Select(p => (string)p!).ToArray();
        if (!places.SequenceEqual(ScannedTaskIdPlaces) || (string?)body["code"] != "integer" || (string?)body["duplicateKeys"] is not ("exact" or "ignoringCase"))
        {
            throw new InvalidOperationException(
                $"The OpenAPI document's x-kling-callback-checks asks for task ids at {string.Join(", ", places)}, code '{body["code"]}' and duplicate keys '{body["duplicateKeys"]}'; " +
                $"this receiver reads {string.Join(", ", ScannedTaskIdPlaces)}, an integer code and exact or ignoringCase keys. Update KlingWebhook.");
        }

        return new CallbackRules(
            TimeSpan.FromSeconds((double)checks["toleranceSeconds"]!),
            (int)body["maxBytes"]!,
            (string)body["duplicateKeys"]! == "ignoringCase");
    }

    /// <summary>The operation (a path's or a callback's) with the id <paramref name="operationId"/>, or null.</summary>
    private static JObject? OperationIn(JObject root, string operationId)
    {
        IEnumerable<JObject> OperationsOf(JToken? pathItems) =>
            (pathItems as JObject)?.Properties().SelectMany(path => ((path.Value as JObject) ?? []).Properties()).Select(m => m.Value).OfType<JObject>() ?? [];

        var operations = OperationsOf(root["paths"]).ToList();
        var callbacks = operations.SelectMany(o => ((o["callbacks"] as JObject) ?? []).Properties().SelectMany(c => OperationsOf(c.Value)));
        return operations.Concat(callbacks).FirstOrDefault(o => (string?)o["operationId"] == operationId);
    }

    /// <summary>An answer that means "not visible yet": its effective code, and a text its message contains (ordinal, ignoring case).</summary>
    internal sealed record NotVisibleYetAnswer(int Code, string? MessageContains)
    {
        public bool Matches(int code, string? message) =>
            code == Code && (MessageContains is null || message?.Contains(MessageContains, StringComparison.OrdinalIgnoreCase) == true);
    }

    /// <summary>The wait's schedule (<c>min(Max, Initial + Growth x waited)</c>, up to <c>Timeout</c>) and the "not visible yet" answers.</summary>
    internal sealed record PollingRules(TimeSpan Initial, double Growth, TimeSpan Max, TimeSpan Timeout, TimeSpan Grace, IReadOnlyList<NotVisibleYetAnswer> NotVisibleYet);

    /// <summary>The receiver's window, the body's size in UTF-8 bytes, and whether keys differing only in case count as the same key.</summary>
    internal sealed record CallbackRules(TimeSpan Tolerance, int MaxBodyBytes, bool DuplicateKeysIgnoreCase);
}
