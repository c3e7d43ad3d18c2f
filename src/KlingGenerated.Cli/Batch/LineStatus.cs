using System.Globalization;
using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Cli.Batch;

/// <summary>A line of the batch and where it is in this run.</summary>
internal sealed class LineStatus(BatchLine line)
{
    public BatchLine Line => line;

    public Phase Phase { get; set; } = Phase.Queued;

    /// <summary>An earlier run created this line's task, or may have: its price counts against --max-credits.</summary>
    public bool PaidBefore { get; set; }

    public string? TaskId { get; set; }

    public string? File { get; set; }

    public string? Note { get; set; }

    public IReadOnlyList<string> ResultUrls { get; set; } = [];

    public string Label => line.UserId is null ? line.Number.ToString(CultureInfo.InvariantCulture) : $"{line.Number.ToString(CultureInfo.InvariantCulture)} ({Text.Safe(line.UserId, 40)})";

    public string StateText => Phase switch
    {
        Phase.Queued => "not-sent",
        Phase.Submitted or Phase.Running => "unfinished",
        _ => Phase.ToString().ToLowerInvariant(),
    };
}
