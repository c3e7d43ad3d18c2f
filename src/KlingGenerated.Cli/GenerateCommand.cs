using System.CommandLine;
using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary><c>kling generate</c>: validate, submit, wait, download; each a step of its own.</summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error, CliTerminal terminal)
    {
        var prompt = new Argument<string>("prompt") { Description = "What the video shows (each model's limit is in `kling models`)." };
        // The allowed words come from the generated enums, so they follow openapi/kling.openapi.yaml.
        var duration = new Option<string?>("--duration") { Description = $"Length in seconds: {string.Join(" or ", WireNames<VideoDuration>.All)}; omitted, the service picks its default." };
        duration.AcceptOnlyFromAmong([.. WireNames<VideoDuration>.All]);
        duration.HelpName = string.Join('|', WireNames<VideoDuration>.All); // the document's order (5|10); help sorts completions as text (10|5)
        var aspectRatio = new Option<string?>("--aspect-ratio") { Description = $"Frame shape: {string.Join(", ", WireNames<AspectRatio>.All)}; omitted, the service picks its default." };
        aspectRatio.AcceptOnlyFromAmong([.. WireNames<AspectRatio>.All]);
        var negativePrompt = new Option<string?>("--negative-prompt") { Description = "What the video should avoid." };
        var cfgScale = NumberOption.Create("--cfg-scale", "How closely to follow the prompt: 0 to 1 in steps of 0.1, such as 0.5 (service default 0.5).", "a number from 0 to 1 such as 0.5");
        var callbackUrl = new Option<string?>("--callback-url") { Description = "An absolute URL the service POSTs to when the task ends." };
        var outDir = new Option<string>("--out") { Description = "The folder to save the video in, as <taskId>.mp4; checked to be writable before anything is sent.", DefaultValueFactory = _ => "out" };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the task id and exit without waiting." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing <taskId>.mp4 (only once the new one is complete)." };
        var timeout = NumberOption.Create("--timeout", "Minutes to wait for the task before giving up (the task keeps running).", "a positive number of minutes such as 15", 15);

        var inputs = ModelInputs.Create(new Dictionary<string, (Option, Func<ParseResult, JToken?>)>
        {
            ["duration"] = (duration, parse => parse.GetValue(duration) is { } value ? new JValue(value) : null),
            ["aspect_ratio"] = (aspectRatio, parse => parse.GetValue(aspectRatio) is { } value ? new JValue(value) : null),
            ["negative_prompt"] = (negativePrompt, parse => parse.GetValue(negativePrompt) is { } value ? new JValue(value) : null),
            ["cfg_scale"] = (cfgScale, parse => parse.GetValue(cfgScale) is { } value ? new JValue(value) : null),
        });
        var command = new Command("generate", "Generate a video with one of the document's models (`--model`), wait for it and download it.")
        {
            prompt, duration, aspectRatio, negativePrompt, cfgScale, callbackUrl, outDir, noWait, overwrite, timeout,
        };
        foreach (var option in inputs.NewOptions)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, output, error, cancellationToken, async context =>
        {
            // 1. Validate: nothing is sent until the request, the local images and --out are known to be good.
            var localImages = inputs.LocalImages(parse);
            var placeholders = localImages.DistinctBy(f => f.Value).ToDictionary(f => f.Value, f => "https://upload.invalid/" + Uri.EscapeDataString(Path.GetFileName(f.Path)), StringComparer.Ordinal);
            var request = Request(inputs, parse, parse.GetValue(prompt)!, parse.GetValue(callbackUrl), placeholders);
            var minutes = parse.GetValue(timeout);
            if (minutes <= 0)
            {
                throw new UsageException($"--timeout must be a positive number of minutes such as 15, not {minutes.ToString(CultureInfo.InvariantCulture)}.");
            }

            var wait = !parse.GetValue(noWait);
            var folder = wait ? OutFolder.Writable(parse.GetValue(outDir)!, CliEnvironment.Of(parse)) : null;

            // 2. Submit, recorded in the ledger before it is sent and after the answer.
            using var ledger = Ledger.LedgerLocation.Open(parse);
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            context.OnBuiltInSimulator = endpoint.IsSimulator;
            if (localImages.Count > 0)
            {
                // Free, and before the paid createTask: a failed upload leaves nothing to pay for.
                var uploaded = await ImageUpload.UploadAsync(endpoint, localImages, context.Json ? null : error, cancellationToken);
                request = Request(inputs, parse, parse.GetValue(prompt)!, parse.GetValue(callbackUrl), uploaded);
            }

            var taskId = await SubmitAsync(context, endpoint, request, ledger, wait);
            if (!wait)
            {
                await output.WriteLineAsync(context.Json ? JsonConvert.SerializeObject(new { taskId }) : TerminalText.Safe(taskId));
                return;
            }

            // 3. Wait, then 4. download.
            using var progress = new ProgressDisplay(error, terminal);
            var record = await WaitAsync(context, endpoint, taskId, minutes, progress, new Ledger.LedgerProgress(ledger, endpoint.LedgerName, taskId, progress));
            var (path, urls) = await DownloadAsync(context, endpoint, record, folder!, parse.GetValue(overwrite), progress);
            ledger.RecordFile(endpoint.LedgerName, taskId, path);
            progress.Done();

            await output.WriteLineAsync(context.Json
                ? JsonConvert.SerializeObject(new { taskId, state = record.RawState, file = path, resultUrls = urls })
                : path);
        }));
        return command;
    }

    /// <summary>The request from the options; the library validates it against the spec before sending.</summary>
    private static VideoTaskRequest Request(ModelInputs inputs, ParseResult parse, string prompt, string? callbackUrl, IReadOnlyDictionary<string, string> uploaded)
    {
        if (string.IsNullOrWhiteSpace(prompt) && prompt.Length > 0)
        {
            throw new UsageException("the prompt is only spaces; describe what the video shows, such as \"a paper boat on a rainy street\". Nothing was sent.");
        }

        Uri? callBack = null;
        if (callbackUrl is not null && !Uri.TryCreate(callbackUrl, UriKind.RelativeOrAbsolute, out callBack))
        {
            throw new UsageException($"--callback-url is not a URL: '{callbackUrl}'.");
        }

        return inputs.Build(parse, prompt, callBack, uploaded);
    }

    private static async Task<string> SubmitAsync(CommandContext context, Endpoint endpoint, VideoTaskRequest request, Ledger.ITaskLedger ledger, bool waiting)
    {
        context.Stage = CommandStage.Submitting;
        var taskId = await Ledger.LedgeredCreate.CreateTaskAsync(ledger, endpoint.LedgerName, endpoint.Client, request, context.CancellationToken);

        context.TaskId = taskId;
        context.Stage = CommandStage.Submitted;
        await context.Error.WriteLineAsync(!waiting
            ? TerminalText.WithLongWordsCapped($"Submitted task {TerminalText.Safe(taskId)}; not waiting (--no-wait). `{TerminalText.KlingCommand("wait", taskId)}` waits for it and downloads it.")
            : TerminalText.WithLongWordsCapped($"Submitted task {TerminalText.Safe(taskId)}; waiting for it (Ctrl+C stops waiting, the task keeps running)."));
        return taskId;
    }

    private static async Task<TaskRecord> WaitAsync(CommandContext context, Endpoint endpoint, string taskId, double minutes, ProgressDisplay progress, IProgress<TaskRecord> recorded)
    {
        try
        {
            return await endpoint.Client.WaitForCompletionAsync(taskId, new KlingPollingOptions
            {
                Timeout = TimeSpan.FromMinutes(minutes),
                InitialDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(0.25) : new KlingPollingOptions().InitialDelay,
                MaxDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(1) : new KlingPollingOptions().MaxDelay,
            }, recorded, context.CancellationToken);
        }
        catch (KlingApiException exception) when (exception is { Kind: KlingErrorKind.Timeout, TaskId: not null })
        {
            var id = TerminalText.Safe(taskId);
            throw new CliTimeoutException(
                $"task {id} did not finish within {minutes.ToString("0.##", CultureInfo.InvariantCulture)} minutes (last state: {progress.LastState ?? "not visible yet"}). " +
                $"It keeps running on the service: `{TerminalText.KlingCommand("wait", taskId)}` resumes waiting (with a larger --timeout if needed) and downloads it; running generate again would pay for a new task.", exception);
        }
    }

    private static async Task<(string Path, IReadOnlyList<Uri> Urls)> DownloadAsync(CommandContext context, Endpoint endpoint, TaskRecord record, string folder, bool overwrite, ProgressDisplay progress)
    {
        var urls = ResultDownload.UrlsOf(record, context.TaskId!);
        if (urls.Count == 0)
        {
            throw new CliServiceException($"task {TerminalText.Safe(context.TaskId)} succeeded without a result URL. Query it again later with `{TerminalText.KlingCommand("status", context.TaskId)}`.");
        }

        var path = await ResultDownload.ToFolderAsync(endpoint, context.TaskId!, urls[0], folder, overwrite, progress, context.CancellationToken);
        return (path, urls);
    }
}

/// <summary>An answer of the service the CLI cannot use; says what may have happened and what to do.</summary>
internal sealed class CliServiceException(string message, string kind = "service-error", Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The failure's kind in --json errors.</summary>
    public string Kind { get; } = kind;
}
