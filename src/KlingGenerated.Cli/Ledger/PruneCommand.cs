using System.CommandLine;
using System.Globalization;
using Newtonsoft.Json;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// <c>kling tasks prune --older-than AGE</c>: forgets old rows of the ledger that nothing depends on any more. A paid task
/// id is never lost by accident: a task that may exist (uncertain), is not finished, or succeeded without its result
/// being downloaded is kept unless --force says so; so is a request not sent yet (a batch may be sending it).
/// </summary>
internal static class PruneCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var olderThan = new Option<string>("--older-than")
        {
            Description = "Remove rows created before this: a duration back from now (30m, 12h, 30d) or a date (2026-11-25 or 2026-11-25T10:00Z).",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Also remove tasks that may exist, are not finished, or succeeded without a downloaded result (their ids are then forgotten)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed." };
        var command = new Command("prune", "Forget old tasks the ledger no longer needs: failed, refused or never sent, or downloaded.") { olderThan, force, dryRun };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            var before = TaskCommands.ParseSince(parse.GetValue(olderThan), CliEnvironment.Of(parse).Time, "--older-than")!.Value;
            using var ledger = LedgerLocation.Open(parse);
            var old = ledger.List(null, null).Where(e => e.QueuedAt < before).ToList();
            var forced = parse.GetValue(force);
            var verdicts = old.Select(e => (Entry: e, Kept: forced ? null : WhyKept(e))).ToList();
            var chosen = verdicts.Where(v => v.Kept is null).Select(v => v.Entry).ToList();
            var kept = verdicts.Where(v => v.Kept is not null).ToList();
            var dry = parse.GetValue(dryRun);
            var removed = dry ? chosen.Count : ledger.Remove(chosen);
            var changed = chosen.Count - removed; // rows another process changed since they were read stay

            if (parse.GetValue(GlobalOptions.Json))
            {
                await output.WriteLineAsync(JsonConvert.SerializeObject(new
                {
                    ledger = ledger.Location,
                    olderThan = before,
                    dryRun = dry,
                    removed = chosen.Select(e => new { taskId = e.TaskId, state = TaskCommands.DisplayState(e), queuedAt = e.QueuedAt, file = e.File, batch = e.Batch }),
                    kept = kept.Select(k => new { taskId = k.Entry.TaskId, state = TaskCommands.DisplayState(k.Entry), queuedAt = k.Entry.QueuedAt, reason = k.Kept }),
                    changedMeanwhile = changed,
                }));
            }
            else
            {
                foreach (var entry in chosen)
                {
                    await output.WriteLineAsync($"{(dry ? "would remove" : "removed")}  {entry.QueuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}  {Text.Safe(entry.TaskId ?? "-", 34)}  {Text.Safe(TaskCommands.DisplayState(entry), 12)}");
                }
            }

            var batchLines = chosen.Count(e => e.LineKey is not null);
            await error.WriteLineAsync(
                $"{(dry ? "Would remove" : "Removed")} {removed} row(s) created before {before.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC from {ledger.Location}"
                + (changed > 0 ? $" ({changed} changed meanwhile and were kept)" : string.Empty) + "."
                + (batchLines > 0 ? $" {batchLines} of them were batch lines: running those batches again sends those lines again." : string.Empty)
                + (kept.Count > 0 ? $" Kept {kept.Count} that still matter ({string.Join("; ", kept.GroupBy(k => k.Kept).Select(g => $"{g.Count()} {g.Key}"))}); `kling tasks` lists them; --force removes them too." : string.Empty));
        }));
        return command;
    }

    /// <summary>Why a row must stay unless forced, or null when nothing depends on it.</summary>
    internal static string? WhyKept(LedgerEntry entry) => entry.Outcome switch
    {
        "rejected" or "not-sent" => null, // nothing was created
        "queued" => "not sent yet (a batch may be sending it)",
        "sending" or "uncertain" => "may exist and be charged",
        "created" when entry.State == "fail" => null,
        "created" when entry.State == "success" => entry.File is null ? "succeeded, result not downloaded" : null,
        "created" => "not finished",
        _ => "in an unknown state",
    };
}
