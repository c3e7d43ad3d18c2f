using System.CommandLine;
using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Ledger;

/// <summary><c>kling tasks</c>, <c>kling wait</c> and <c>kling download</c>: the ledger's commands.</summary>
internal static class TaskCommands
{
    private static readonly string[] States = ["waiting", "queuing", "generating", "success", "fail", "queued", "sending", "created", "uncertain", "rejected", "not-sent"];

    public static Command Tasks(TextWriter output, TextWriter error)
    {
        var state = new Option<string?>("--state") { Description = $"Only tasks in this state or outcome: {string.Join(", ", States)} (uncertain includes sending)." };
        state.AcceptOnlyFromAmong(States);
        var since = new Option<string?>("--since") { Description = "Only createTasks since a time: a duration back from now (30m, 12h, 7d) or a date (2026-11-25 or 2026-11-25T10:00Z)." };
        var limit = new Option<int?>("--limit") { Description = "Only the newest N tasks." };
        var command = new Command("tasks", "List the tasks the local ledger knows (the service cannot list them).") { state, since, limit };
        command.Subcommands.Add(LedgerLocation.AddTo(PruneCommand.Create(output, error)));
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            var from = ParseSince(parse.GetValue(since), CliEnvironment.Of(parse).Time);
            using var ledger = LedgerLocation.Open(parse);
            var wanted = parse.GetValue(state);
            var entries = ledger.List(wanted is "uncertain" or "sending" ? null : wanted, from)
                .Where(e => wanted is not ("uncertain" or "sending") || e.IsUncertain)
                .Take(parse.GetValue(limit) is { } most ? (most > 0 ? most : throw new UsageException($"--limit must be a positive number of tasks, not {most}.")) : int.MaxValue)
                .ToList();
            var problems = ledger.Unreadable.ToList();
            var json = parse.GetValue(GlobalOptions.Json);
            var rows = json ? entries.Select(e => (Entry: e, Json: ToJson(e, ledger.Location, problems))).Where(r => r.Json is not null).ToList() : null;
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"warning (ledger-error): {Text.Safe(problem, 400)}");
            }

            if (rows is not null)
            {
                await output.WriteLineAsync(JsonConvert.SerializeObject(rows.Select(r => r.Json)));
                return;
            }

            if (entries.Count == 0)
            {
                await error.WriteLineAsync($"No tasks{(wanted is null ? string.Empty : $" in state {wanted}")}{(from is null ? string.Empty : " in that time")} in the ledger {ledger.Location}.");
                return;
            }

            await output.WriteLineAsync($"{"CREATED (UTC)",-17}  {"TASK",-34}  {"STATE",-10}  {"FILE / NOTE"}");
            foreach (var entry in entries)
            {
                var note = entry.File ?? (entry.IsUncertain ? "may exist: " + (entry.Message ?? "no answer was recorded") : entry.Message) ?? PromptOf(entry.Request);
                await output.WriteLineAsync($"{entry.QueuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),-17}  {Text.Safe(entry.TaskId ?? "-", 34),-34}  {Text.Safe(DisplayState(entry), 10),-10}  {Text.Safe(note, 80)}");
            }
        }));
        return command;
    }

    public static Command Wait(TextWriter output, TextWriter error, CliTerminal terminal)
    {
        var taskId = new Argument<string>("taskId") { Description = "The task to wait for (see `kling tasks`)." };
        var timeout = NumberOption.Create("--timeout", "Minutes to wait before giving up (the task keeps running).", "a positive number of minutes such as 15", 15);
        var outDir = new Option<string>("--out") { Description = "The folder to save the video in, as <taskId>.mp4, as generate does; checked to be writable before waiting.", DefaultValueFactory = _ => "out" };
        var noDownload = new Option<bool>("--no-download") { Description = "Only wait: print the result URL instead of downloading it." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing <taskId>.mp4 that differs (only once the new one is complete); an identical one is left as it is." };
        var command = new Command("wait", "Wait for a task to end, showing its progress, then download it into --out (as generate does) and record it in the ledger.") { taskId, timeout, outDir, noDownload, overwrite };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            var id = parse.GetValue(taskId)!;
            context.TaskId = id;
            var minutes = parse.GetValue(timeout);
            if (!double.IsFinite(minutes) || minutes <= 0)
            {
                throw new UsageException($"--timeout must be a positive number of minutes, not {minutes.ToString(CultureInfo.InvariantCulture)}.");
            }

            var download = !parse.GetValue(noDownload);
            var folder = download ? OutFolder.Writable(parse.GetValue(outDir)!, CliEnvironment.Of(parse)) : null;
            using var ledger = LedgerLocation.Open(parse);
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            EnsureSameEndpoint(ledger, endpoint, id);
            context.OnBuiltInSimulator = endpoint.IsSimulator;
            if (ledger.Find(id) is null)
            {
                // An id nobody knows fails now, not after the polling's patience; --timeout bounds this check too (its query may trickle).
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(minutes), CliEnvironment.Of(parse).Time);
                using var checking = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    await EnsureKnownAsync(endpoint, id, checking.Token);
                }
                catch (OperationCanceledException exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw WaitTimedOut(id, minutes, lastState: null, exception);
                }
            }

            context.Stage = CommandStage.Submitted;
            using var progress = new ProgressDisplay(error, terminal);
            TaskRecord record;
            try
            {
                record = await endpoint.Client.WaitForCompletionAsync(id, Polling(endpoint, minutes), new LedgerProgress(ledger, endpoint.LedgerName, id, progress), cancellationToken);
            }
            catch (KlingApiException exception) when (exception is { Kind: KlingErrorKind.Timeout, TaskId: not null })
            {
                throw WaitTimedOut(id, minutes, exception.LastState, exception);
            }

            if (!download)
            {
                progress.Done();
                await PrintAsync(output, parse, record);
                return;
            }

            var urls = ResultDownload.UrlsOf(record, id);
            if (urls.Count == 0)
            {
                throw new CliServiceException($"task {Text.Safe(id)} succeeded without a result URL. Query it again later with `{TerminalText.KlingCommand("status", id)}`.");
            }

            var path = await ResultDownload.ToFolderAsync(endpoint, id, urls[0], folder!, parse.GetValue(overwrite), progress, cancellationToken, compare: true); // a rerun after a saved result is success
            ledger.RecordFile(endpoint.LedgerName, id, path);
            progress.Done();
            await output.WriteLineAsync(parse.GetValue(GlobalOptions.Json)
                ? JsonConvert.SerializeObject(new { taskId = id, state = record.RawState, file = path, resultUrls = urls })
                : path);
        }));
        return command;
    }

    private static CliTimeoutException WaitTimedOut(string id, double minutes, string? lastState, Exception inner) => new(
        $"task {Text.Safe(id)} did not finish within {minutes.ToString("0.##", CultureInfo.InvariantCulture)} minutes (last state: {Text.Safe(lastState ?? "not visible yet")}). " +
        $"It keeps running on the service: run `{TerminalText.KlingCommand("wait", id)}` again, with a larger --timeout if needed.", inner);

    /// <summary>Fails within seconds when neither the ledger nor the service knows the id (a task just created may take a moment to appear).</summary>
    private static async Task EnsureKnownAsync(Endpoint endpoint, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await endpoint.Client.GetTaskRecordAsync(id, cancellationToken);
                return;
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.NotFound)
            {
                if (attempt == 3)
                {
                    throw new CliServiceException(
                        $"task {Text.Safe(id)} is unknown to the ledger and to the service at {Text.Safe(endpoint.LedgerName)}. Check the id (`kling tasks` lists the ledger's) and --base-url / KIE_BASE_URL.", "not-found", exception);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public static Command Download(TextWriter output, TextWriter error)
    {
        var taskId = new Argument<string>("taskId") { Description = "A task that succeeded (see `kling tasks --state success`)." };
        var outDir = new Option<string>("--out") { Description = "Where to save the video as <taskId>.mp4.", DefaultValueFactory = _ => "out" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing <taskId>.mp4 that differs (only once the new one is complete); an identical one is left as it is." };
        var command = new Command("download", "Download (or download again) a finished task's video, while its result URL is valid.") { taskId, outDir, overwrite };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            var id = parse.GetValue(taskId)!;
            context.TaskId = id;
            using var ledger = LedgerLocation.Open(parse);
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            EnsureSameEndpoint(ledger, endpoint, id);
            var known = ledger.Find(id);
            IReadOnlyList<Uri> urls;
            try
            {
                var record = (await endpoint.Client.GetTaskRecordAsync(id, cancellationToken)).Data!;
                KlingClient.EnsureRecordOf(id, record);
                ledger.RecordState(endpoint.LedgerName, id, record);
                if (record.State != TaskState.Success)
                {
                    throw new UsageException(record.State == TaskState.Fail
                        ? $"task {Text.Safe(id)} failed (failCode {Text.Safe(record.FailCode)}: {Text.Safe(record.FailMsg)}); there is nothing to download."
                        : $"task {Text.Safe(id)} is still {Text.Safe(record.RawState)}; wait for it with `{TerminalText.KlingCommand("wait", id)}`, then download it.");
                }

                urls = ResultDownload.UrlsOf(record, id);
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.NotFound && known is { ResultUrls.Count: > 0 })
            {
                // The service forgot the task; the URLs the ledger recorded may still work.
                urls = known.ResultUrls.Select(u => new Uri(u)).ToList();
            }

            await error.WriteLineAsync($"Downloading the result of {Text.Safe(id)}...");
            var path = await ResultFiles.SaveAsync(ledger, endpoint, id, urls, CliEnvironment.Of(parse).FullPath(parse.GetValue(outDir)!), known?.UpdatedAt, cancellationToken, parse.GetValue(overwrite));
            await output.WriteLineAsync(parse.GetValue(GlobalOptions.Json) ? JsonConvert.SerializeObject(new { taskId = id, file = path }) : path);
        }));
        return command;
    }

    /// <summary>Hook for <c>kling status</c>: records what the service said.</summary>
    public static void RecordStatus(ParseResult parse, Endpoint endpoint, string taskId, TaskRecord record)
    {
        using var ledger = LedgerLocation.Open(parse);
        ledger.RecordState(endpoint.LedgerName, taskId, record);
    }

    /// <summary>The polling of the CLI: quick against the built-in simulator, the service's advice otherwise.</summary>
    public static KlingPollingOptions Polling(Endpoint endpoint, double minutes) => new()
    {
        Timeout = TimeSpan.FromMinutes(minutes),
        InitialDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(0.25) : new KlingPollingOptions().InitialDelay,
        MaxDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(1) : new KlingPollingOptions().MaxDelay,
    };

    /// <summary>A duration back from <paramref name="clock"/>'s now, or a date (UTC unless it names its offset); null when not given.</summary>
    internal static DateTimeOffset? ParseSince(string? text, TimeProvider clock, string option = "--since")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0 && double.IsFinite(amount))
        {
            TimeSpan? back = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (back is { } span)
            {
                return clock.GetUtcNow() - span;
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        throw new UsageException($"{option} must be a duration back from now (30m, 12h, 7d) or a date (2026-11-25T10:00Z), not '{Text.Safe(text, 60)}'.");
    }

    private static async Task PrintAsync(TextWriter output, ParseResult parse, TaskRecord record)
    {
        if (parse.GetValue(GlobalOptions.Json))
        {
            await output.WriteLineAsync(JsonConvert.SerializeObject(record));
            return;
        }

        await output.WriteLineAsync($"{Text.Safe(record.TaskId)}: {Text.Safe(record.RawState)} {string.Join(" ", record.GetResultUrls().Select(u => Text.Safe(u.ToString(), 2000)))}".TrimEnd());
    }

    internal static string DisplayState(LedgerEntry entry) => entry.Outcome switch
    {
        "created" => entry.State ?? "created",
        "sending" or "uncertain" => "uncertain",
        _ => entry.Outcome,
    };

    private static string? PromptOf(string? request)
    {
        try
        {
            return request is null ? null : JObject.Parse(request).SelectToken("input.prompt")?.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The row as --json prints it, or null (and a problem noted) when its request column is not JSON: the row is skipped as an unreadable one is.</summary>
    private static object? ToJson(LedgerEntry entry, string ledgerPath, List<string> problems)
    {
        JToken? request;
        try
        {
            request = entry.Request is null ? null : JToken.Parse(entry.Request);
        }
        catch (JsonException exception)
        {
            problems.Add($"row #{entry.Id.ToString(CultureInfo.InvariantCulture)} of {ledgerPath} has a request that is not JSON ({exception.Message}); it was skipped.");
            return null;
        }

        return ToJson(entry, request);
    }

    private static object ToJson(LedgerEntry entry, JToken? request) => new
    {
        taskId = entry.TaskId,
        state = DisplayState(entry),
        outcome = entry.Outcome,
        endpoint = entry.Endpoint,
        queuedAt = entry.QueuedAt,
        sentAt = entry.SentAt,
        answeredAt = entry.AnsweredAt,
        updatedAt = entry.UpdatedAt,
        failCode = entry.FailCode,
        failMsg = entry.FailMessage,
        message = entry.Message,
        resultUrls = entry.ResultUrls,
        file = entry.File,
        batch = entry.Batch,
        line = entry.LineNumber,
        lineKey = entry.LineKey,
        request,
    };

    /// <summary>A task lives on the endpoint that created it: asking another one would answer "not found" for a paid task.</summary>
    internal static void EnsureSameEndpoint(ITaskLedger ledger, Endpoint endpoint, string id)
    {
        if (ledger.Find(id) is { } known && known.Endpoint != endpoint.LedgerName)
        {
            var how = known.Endpoint == "simulator"
                ? "run it without --base-url, KIE_BASE_URL or a key, so the built-in simulator answers"
                : $"run it with --base-url {Text.Safe(known.Endpoint)} and that service's key";
            throw new UsageException($"task {Text.Safe(id)} was created on {Text.Safe(known.Endpoint)}, not on {Text.Safe(endpoint.LedgerName)}; nothing was asked. {how}.");
        }
    }
}
