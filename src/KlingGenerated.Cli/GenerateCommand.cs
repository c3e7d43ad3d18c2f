using System.CommandLine;
using System.Globalization;
using Newtonsoft.Json;

namespace KlingGenerated.Cli;

/// <summary><c>kling generate</c>: submit a prompt, watch the task, download the video.</summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var prompt = new Argument<string>("prompt") { Description = "What the video shows (at most 2500 characters)." };
        // The allowed words come from the generated enums, so they follow openapi/kling.openapi.yaml.
        var duration = new Option<string?>("--duration") { Description = $"Length in seconds: {string.Join(" or ", WireNames<VideoDuration>.All)}; omitted, the service picks its default." };
        duration.AcceptOnlyFromAmong([.. WireNames<VideoDuration>.All]);
        var aspectRatio = new Option<string?>("--aspect-ratio") { Description = $"Frame shape: {string.Join(", ", WireNames<AspectRatio>.All)}; omitted, the service picks its default." };
        aspectRatio.AcceptOnlyFromAmong([.. WireNames<AspectRatio>.All]);
        var negativePrompt = new Option<string?>("--negative-prompt") { Description = "What the video should avoid." };
        var cfgScale = new Option<double?>("--cfg-scale") { Description = "How closely to follow the prompt: 0 to 1 in steps of 0.1 (service default 0.5)." };
        var callbackUrl = new Option<string?>("--callback-url") { Description = "An absolute URL the service POSTs to when the task ends." };
        var outDir = new Option<string>("--out") { Description = "Where to save the video as <taskId>.mp4.", DefaultValueFactory = _ => "out" };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the task id and exit without waiting." };
        var timeout = new Option<double>("--timeout") { Description = "Minutes to wait for the task before giving up.", DefaultValueFactory = _ => 15 };

        var command = new Command("generate", "Generate a video from text, wait for it and download it.")
        {
            prompt, duration, aspectRatio, negativePrompt, cfgScale, callbackUrl, outDir, noWait, timeout,
        };

        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, error, async () =>
        {
            var json = parse.GetValue(GlobalOptions.Json);
            Uri? callBack = null;
            if (parse.GetValue(callbackUrl) is { } text && !Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out callBack))
            {
                throw new UsageException($"--callback-url is not a URL: '{text}'.");
            }

            if (parse.GetValue(timeout) is var minutes && (!double.IsFinite(minutes) || minutes <= 0))
            {
                throw new UsageException($"--timeout must be a positive number of minutes, not {minutes.ToString(CultureInfo.InvariantCulture)}.");
            }

            var request = new CreateTaskRequest
            {
                CallBackUrl = callBack,
                Input = new CreateTaskInput
                {
                    Prompt = parse.GetValue(prompt)!,
                    Duration = WireNames<VideoDuration>.Parse(parse.GetValue(duration)),
                    AspectRatio = WireNames<AspectRatio>.Parse(parse.GetValue(aspectRatio)),
                    NegativePrompt = parse.GetValue(negativePrompt),
                    CfgScale = parse.GetValue(cfgScale),
                },
            };

            using var ledger = Ledger.LedgerLocation.Open(parse); // recorded before it is sent, and after the answer
            await using var endpoint = await Endpoint.OpenAsync(parse, error, cancellationToken);
            var taskId = await Ledger.LedgeredCreate.CreateTaskAsync(ledger, endpoint.LedgerName, endpoint.Client, request, cancellationToken);
            if (parse.GetValue(noWait))
            {
                await output.WriteLineAsync(json ? JsonConvert.SerializeObject(new { taskId }) : taskId);
                return;
            }

            await error.WriteLineAsync($"Submitted task {taskId}; waiting for it (Ctrl+C stops waiting, the task keeps running).");
            var progress = new ProgressDisplay(error);
            TaskRecord record;
            try
            {
                record = await endpoint.Client.WaitForCompletionAsync(taskId, new KlingPollingOptions
                {
                    Timeout = TimeSpan.FromMinutes(minutes),
                    InitialDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(0.25) : new KlingPollingOptions().InitialDelay,
                    MaxDelay = endpoint.IsSimulator ? TimeSpan.FromSeconds(1) : new KlingPollingOptions().MaxDelay,
                }, new Ledger.LedgerProgress(ledger, endpoint.LedgerName, progress), cancellationToken);
            }
            finally
            {
                progress.Done();
            }

            var urls = record.GetResultUrls();
            if (urls.Count == 0)
            {
                throw new KlingApiException(200, 200, $"Task {taskId} succeeded without a result URL.");
            }

            var path = Path.GetFullPath(Path.Combine(parse.GetValue(outDir)!, taskId + ".mp4"));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await error.WriteLineAsync($"Downloading {urls[0]}");
            using (var response = await endpoint.Downloads.GetAsync(urls[0], HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"downloading the result failed with HTTP {(int)response.StatusCode}; result URLs expire after about 24 hours, query the task again for a fresh one");
                }

                await using var file = File.Create(path);
                await response.Content.CopyToAsync(file, cancellationToken);
            }

            ledger.RecordFile(endpoint.LedgerName, taskId, path);
            await output.WriteLineAsync(json
                ? JsonConvert.SerializeObject(new { taskId, state = record.RawState, file = path, resultUrls = urls })
                : path);
        }));
        return command;
    }
}
