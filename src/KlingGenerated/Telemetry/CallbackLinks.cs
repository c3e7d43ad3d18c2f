using System.Collections.Concurrent;
using System.Diagnostics;

namespace KlingGenerated;

/// <summary>
/// Remembers, for tasks created in this process, the span that created them, so a callback's span can link to it by
/// task id. Bounded: past <see cref="Capacity"/> ids the memory is cleared (a link is a convenience, the task id
/// attribute is the durable correlation).
/// </summary>
internal static class CallbackLinks
{
    internal const int Capacity = 4096;
    private static readonly ConcurrentDictionary<string, ActivityContext> Contexts = new(StringComparer.Ordinal);

    public static void Remember(string taskId, Activity? activity)
    {
        if (activity is null || !KlingTelemetry.Source.HasListeners())
        {
            return;
        }

        if (Contexts.Count >= Capacity)
        {
            Contexts.Clear();
        }

        Contexts[taskId] = activity.Context;
    }

    public static ActivityLink[]? For(string taskId) =>
        Contexts.TryGetValue(taskId, out var context) ? [new ActivityLink(context)] : null;
}
