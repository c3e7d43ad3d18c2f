using System.CommandLine;
using System.Globalization;
using KlingGenerated.Cli.Ledger;
using Newtonsoft.Json;

namespace KlingGenerated.Cli.Batch;

/// <summary><c>kling batch FILE</c>: validate every line, submit at the account's pace, wait, download; resumable through the ledger.</summary>
internal static class BatchCommand
{
    /// <summary>Ctrl+C: the batch stopped submitting and recorded everything.</summary>
    public const int Interrupted = ExitCodes.Cancelled;

    public static Command Create(TextWriter output, TextWriter error, CliTerminal terminal)
    {
        var file = new Argument<string>("file") { Description = "JSON Lines (.jsonl: one object of createTask input fields per line, plus an optional \"id\") or CSV (.csv, with a 'prompt' column)." };
        var outDir = new Option<string>("--out") { Description = "Where to save each video: as <id>.mp4 for a line with an id (made safe for a file name), else as <taskId>.mp4.", DefaultValueFactory = _ => "out" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Send the valid lines even when some are invalid (they are listed and skipped)." };
        var resubmitUncertain = new Option<bool>("--resubmit-uncertain") { Description = "Send again the lines whose createTask may have created a task (this can pay twice)." };
        var rateLimit = new Option<int>("--rate-limit") { Description = "New tasks the account allows per --rate-window (the service's limit).", DefaultValueFactory = _ => 20 };
        var rateWindow = NumberOption.Create("--rate-window", "The window of --rate-limit, in seconds.", "a positive number of seconds such as 10", 10);
        var timeout = NumberOption.Create("--timeout", "Minutes to wait for each task before giving up on it for this run (run again to keep waiting).", "a positive number of minutes such as 15", 15);
        var maxCredits = NumberOption.Create("--max-credits", "Spend at most N credits on this batch, across all its runs: each line is priced from the OpenAPI document (42 for 5 s, 84 for 10 s) and reserved before it is sent; what earlier runs of its lines paid counts.", "a positive number of credits such as 100");
        var redis = new Option<string?>("--redis") { Description = "Pace through Redis (a StackExchange.Redis configuration such as localhost:6379; default KLING_REDIS), so several batch processes on one key share the account's limit." };
        var lease = NumberOption.Create("--lease", "On a shared (PostgreSQL) ledger: seconds a worker's claim on a line lasts without renewal; a stopped worker's lines go to the others after it (default 30).", "a positive number of seconds such as 30", 30);
        var rerun = new Option<string?>("--rerun") { Description = "Send the lines again as a new run named NAME, although earlier runs created them (pays again); the same --rerun NAME resumes that run." };
        var command = new Command("batch", "Generate many videos from a file; run the same command again to resume without paying twice.")
        {
            file, outDir, skipInvalid, resubmitUncertain, rateLimit, rateWindow, timeout, rerun, maxCredits, redis, lease,
        };

        command.SetAction((parse, cancellationToken) => RunAsync(parse, output, error, terminal, cancellationToken, new BatchSettings(
            parse.GetValue(file)!, CliEnvironment.Of(parse).FullPath(parse.GetValue(outDir)!), parse.GetValue(skipInvalid), parse.GetValue(resubmitUncertain),
            parse.GetValue(rateLimit), parse.GetValue(rateWindow), parse.GetValue(timeout), parse.GetValue(rerun), parse.GetValue(maxCredits),
            parse.GetValue(redis) is { Length: > 0 } r ? r : CliEnvironment.Of(parse).Variable("KLING_REDIS") is { Length: > 0 } e ? e : null)
        {
            RateLimitGiven = parse.GetResult(rateLimit) is { Implicit: false },
            LeaseSeconds = parse.GetValue(lease),
        }));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, TextWriter output, TextWriter error, CliTerminal terminal, CancellationToken cancellationToken, BatchSettings settings)
    {
        var code = ExitCodes.Success;
        var run = await CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            if (settings.RateLimit < 1 || !double.IsFinite(settings.RateWindowSeconds) || settings.RateWindowSeconds <= 0)
            {
                throw new UsageException($"--rate-limit must be at least 1 and --rate-window a positive number of seconds, not {settings.RateLimit} per {settings.RateWindowSeconds.ToString(CultureInfo.InvariantCulture)} s.");
            }

            if (!double.IsFinite(settings.TimeoutMinutes) || settings.TimeoutMinutes <= 0)
            {
                throw new UsageException($"--timeout must be a positive number of minutes, not {settings.TimeoutMinutes.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (settings.MaxCredits is { } cap && (!double.IsFinite(cap) || cap <= 0))
            {
                throw new UsageException($"--max-credits must be a positive number of credits, not {KlingBudget.FormatCredits(cap)}.");
            }

            if (settings.Rerun is { } name && (name.Length is 0 or > 40 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                throw new UsageException("--rerun takes a short name of letters, digits, '-', '_' or '.', such as take-2.");
            }

            var path = CliEnvironment.Of(parse).FullPath(settings.File);
            var (lines, errors) = BatchFile.Read(path, settings.Rerun);
            OutFolder.Writable(settings.OutDirectory, CliEnvironment.Of(parse)); // as generate does: a bad --out is found before anything is paid for

            using var ledger = LedgerLocation.Open(parse);
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken, o =>
            {
                // Submit at the account's pace, and be patient: nobody is watching each request.
                o.Resilience.CreateTaskPermitLimit = settings.RateLimit;
                o.Resilience.CreateTaskWindow = TimeSpan.FromSeconds(settings.RateWindowSeconds);
                // The jitter margin scales with a shortened window (5 %), up to the library's default for the real one.
                o.Resilience.CreateTaskPacingMargin = TimeSpan.FromTicks(Math.Min(new KlingResilienceOptions().CreateTaskPacingMargin.Ticks, o.Resilience.CreateTaskWindow.Ticks / 20));
                // Retries as every command has them: a dead service fails the batch within seconds, with nothing sent.
            }, settings.Redis);

            var conflicts = BatchConflicts.Conflicts(BatchConflicts.Known(ledger, endpoint.LedgerName), lines);
            errors = [.. errors.Concat(conflicts).OrderBy(e => e.Number)];
            lines = [.. lines.Where(l => conflicts.All(c => c.Number != l.Number))];
            foreach (var problem in errors)
            {
                await error.WriteLineAsync($"{Text.Safe(settings.File)}:{problem.Number}: {ExitCodes.OneLine(problem.Problem)}");
            }

            var invalid = errors.Select(e => new InvalidLine(e.Number, ExitCodes.OneLine(e.Problem))).ToList();
            var where = parse.GetValue(GlobalOptions.Json) ? "listed above and in the JSON's error.invalid" : "listed above";
            if (errors.Count > 0 && !settings.SkipInvalid)
            {
                throw new UsageException($"{errors.Count} invalid line(s) in {Text.Safe(settings.File)}, {where}; nothing was sent. Fix them, or pass --skip-invalid to send the {lines.Count} valid line(s).", invalid);
            }

            if (lines.Count == 0)
            {
                throw new UsageException($"{Text.Safe(settings.File)} has no valid request; nothing was sent.", errors.Count > 0 ? invalid : null);
            }

            if (!double.IsFinite(settings.LeaseSeconds) || settings.LeaseSeconds < 1)
            {
                throw new UsageException($"--lease must be at least 1 second, not {settings.LeaseSeconds.ToString(CultureInfo.InvariantCulture)}.");
            }

            using var joined = ledger is PostgresLedger shared ? SharedWorkers.Join(shared, endpoint, settings) : null;
            using var running = ledger.LocalFile is { } ledgerFile ? RunLock.Take(ledgerFile, endpoint.LedgerName, lines.Select(l => l.Key), settings.File) : null; // a shared ledger claims each line in its own transaction instead
            // The balance first: it proves the service answers (a dead one fails here: exit 3, nothing sent) and guards the budget.
            double? available;
            try
            {
                available = (await endpoint.Client.GetRemainingCreditsAsync(cancellationToken)).Data;
            }
            catch (KlingApiException exception) when (exception.HttpStatus is not null && settings.MaxCredits is null)
            {
                // The service answered, but not the balance: the batch goes on without the check (--max-credits needs it).
                await error.WriteLineAsync($"warning: the balance is unknown ({TerminalText.Safe(ExitCodes.OneLine(exception.Message))}); starting without checking it.");
                available = null;
            }

            IBatchRun batch = ledger is PostgresLedger sharedLedger
                ? new SharedBatchRun(sharedLedger, endpoint, path, settings, error, terminal, available)
                : new BatchRun(ledger, endpoint, path, settings, error, terminal, available);
            var result = await batch.RunAsync(lines, cancellationToken);
            var json = parse.GetValue(GlobalOptions.Json);
            if (json)
            {
                await output.WriteLineAsync(JsonConvert.SerializeObject(result.Summary(errors, ledger.Location), Formatting.None));
            }
            else
            {
                foreach (var line in result.Lines)
                {
                    await output.WriteLineAsync(string.Join('\t', line.Line.Number.ToString(CultureInfo.InvariantCulture), Text.Safe(line.Line.UserId ?? "-"), Text.Safe(line.TaskId ?? "-"), line.StateText, line.File ?? Text.Safe(line.Note ?? string.Empty)));
                }
            }

            await error.WriteLineAsync(result.Closing(errors.Count, ledger.Location, batch.Budget.Budget, batch.Budget.PriceOf));
            if (result.Interrupted)
            {
                var (command, first) = ResumeCommand(parse);
                await error.WriteLineAsync($"Interrupted: submitting stopped and everything is recorded in {ledger.Location}. {first}Resume with:");
                await error.WriteLineAsync("  " + command);
            }

            code = result.Interrupted ? Interrupted : result.ExitCode;
        });
        return run == ExitCodes.Success ? code : run;
    }

    /// <summary>
    /// The command that resumes this batch, printed alone on its line so it pastes and runs as printed: the user's own
    /// words, except a key given on the command line (never printed; the command then reads KIE_API_KEY) and a base URL
    /// with a user:password@ (never printed; the command then reads KIE_BASE_URL). <c>First</c> says what to set before.
    /// </summary>
    internal static (string Command, string First) ResumeCommand(ParseResult parse)
    {
        var words = new List<string> { "kling" };
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        var (hadKey, hadSecretUrl) = (false, false);
        for (var i = 0; i < tokens.Count; i++)
        {
            var (name, value, inline) = OptionAt(tokens, i);
            if (name == GlobalOptions.ApiKey.Name)
            {
                hadKey = true;
                i += inline ? 0 : 1; // and its value
                continue;
            }

            if (name == GlobalOptions.BaseUrl.Name && value is not null && TerminalText.WithoutUserInfo(value) != value)
            {
                hadSecretUrl = true;
                i += inline ? 0 : 1;
                continue;
            }

            words.Add(Quote(TerminalText.WithoutUserInfo(tokens[i]))); // a URL's password is not printed
        }

        var first = new List<string>();
        if (hadKey)
        {
            first.Add("The key given with --api-key is not printed: first run export KIE_API_KEY='<your key>' (or add --api-key-file FILE).");
        }

        if (hadSecretUrl)
        {
            first.Add("The --base-url has a user:password@ that is not printed: first run export KIE_BASE_URL='<that URL>'.");
        }

        if (words.Count > 0 && tokens.Any(t => TerminalText.WithoutUserInfo(t) != t && !(t.Contains(GlobalOptions.BaseUrl.Name, StringComparison.Ordinal))) && !hadSecretUrl)
        {
            first.Add("A password in another option is not printed: put it back in the command first.");
        }

        return (string.Join(' ', words), string.Concat(first.Select(f => f + " ")));
    }

    /// <summary>The option at <paramref name="i"/>: its name and value, whether written --name VALUE or --name=VALUE (inline).</summary>
    private static (string Name, string? Value, bool Inline) OptionAt(List<string> tokens, int i)
    {
        var token = tokens[i];
        var separator = token.StartsWith("--", StringComparison.Ordinal) ? token.IndexOfAny(['=', ':']) : -1;
        return separator > 0
            ? (token[..separator], token[(separator + 1)..], true)
            : (token, i + 1 < tokens.Count ? tokens[i + 1] : null, false);
    }

    private static string Quote(string value) => TerminalText.ShellWord(value);
}

/// <summary>The options of one <c>kling batch</c> run.</summary>
internal sealed record BatchSettings(string File, string OutDirectory, bool SkipInvalid, bool ResubmitUncertain, int RateLimit, double RateWindowSeconds, double TimeoutMinutes, string? Rerun = null, double? MaxCredits = null, string? Redis = null)
{
    /// <summary>Whether --rate-limit was given (a worker's explicit share of the limit), not left at its default.</summary>
    public bool RateLimitGiven { get; init; }

    /// <summary>On a shared ledger: how long a worker's claim lasts without renewal, in seconds.</summary>
    public double LeaseSeconds { get; init; } = 30;
}
