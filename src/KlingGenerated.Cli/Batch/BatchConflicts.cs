using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>What the ledger already holds of a batch's lines, and the lines whose id it holds for another request.</summary>
internal static class BatchConflicts
{
    /// <summary>The ledger's batch rows of this endpoint by line key, whatever file, folder or name they were sent from.</summary>
    internal static ILookup<string, LedgerEntry> Known(ITaskLedger ledger, string endpoint) =>
        ledger.BatchLines(endpoint).ToLookup(e => e.LineKey!, StringComparer.Ordinal);

    /// <summary>
    /// Lines whose id was already sent with another request: sending would pay for a new task under an id the ledger
    /// gives an older one, and skipping would drop the user's edit. Refused before anything is sent.
    /// </summary>
    internal static List<BatchLineError> Conflicts(ILookup<string, LedgerEntry> known, IEnumerable<BatchLine> lines) =>
        lines.Where(l => l.UserId is not null)
            .Select(l => (Line: l, Earlier: known[l.Key].LastOrDefault(r => r.Outcome is "created" or "uncertain" or "sending")))
            .Where(c => c.Earlier is not null && !SameRequest(c.Earlier.Request, LedgeredCreate.Serialize(c.Line.Request)))
            .Select(c => new BatchLineError(c.Line.Number,
                $"the id \"{Text.Safe(c.Line.UserId, 60)}\" was sent on {c.Earlier!.QueuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC with another request"
                + (c.Earlier.TaskId is { } t ? $" (task {Text.Safe(t, 60)})" : string.Empty) + " (ids are matched across every batch of this ledger); "
                + "give the line a new id to send it, or pass --rerun NAME to send the whole batch again as a new run (pays again)."))
            .ToList();

    private static bool SameRequest(string? earlier, string now)
    {
        try
        {
            return earlier is not null && Newtonsoft.Json.Linq.JToken.DeepEquals(Newtonsoft.Json.Linq.JToken.Parse(earlier), Newtonsoft.Json.Linq.JToken.Parse(now));
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return false;
        }
    }
}
