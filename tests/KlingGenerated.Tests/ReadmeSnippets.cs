using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests;

/// <summary>
/// The C# snippets of README.md. Each region here must equal the README block marked with the same name,
/// so the README's code always compiles; the quick start also runs, against the simulator.
/// </summary>
public sealed class ReadmeSnippets
{
    [Fact]
    public void Every_csharp_snippet_in_the_README_is_a_region_of_this_file_and_compiles()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md")).ReplaceLineEndings("\n");
        var source = File.ReadAllText(Path.Combine(Repo.Root, "tests", "KlingGenerated.Tests", "ReadmeSnippets.cs")).ReplaceLineEndings("\n");
        var snippets = Regex.Matches(readme, @"<!-- snippet: (\w+) -->\n```csharp\n(.*?)```", RegexOptions.Singleline);
        var csharpBlocks = Regex.Matches(readme, "```csharp").Count;

        snippets.Should().HaveCount(csharpBlocks, "every C# block in the README carries a snippet marker");
        snippets.Should().NotBeEmpty();
        foreach (Match snippet in snippets)
        {
            var region = Regex.Match(source, $@"#region Snippet:{snippet.Groups[1].Value}\n(.*?)\n\s*#endregion", RegexOptions.Singleline);
            region.Success.Should().BeTrue($"README snippet {snippet.Groups[1].Value} has a region in ReadmeSnippets.cs");
            Dedent(region.Groups[1].Value).Should().Be(snippet.Groups[2].Value.TrimEnd('\n'), $"README snippet {snippet.Groups[1].Value} matches its compiled region");
        }
    }

    [Fact]
    public async Task The_quick_start_runs_against_the_simulator()
    {
        await using var simulator = await KlingSimulator.StartAsync();
        Environment.SetEnvironmentVariable("KIE_API_KEY", simulator.ApiKey);
        try
        {
            var url = await QuickStart(simulator.BaseUrl, CancellationToken.None);
            url.AbsolutePath.Should().EndWith(".mp4");
        }
        finally
        {
            Environment.SetEnvironmentVariable("KIE_API_KEY", null);
        }
    }

    private static async Task<Uri> QuickStart(Uri baseUrl, CancellationToken cancellationToken)
    {
        #region Snippet:QuickStart
        var client = new KlingClient(new HttpClient(), new KlingClientOptions
        {
            ApiKey = Environment.GetEnvironmentVariable("KIE_API_KEY"),
            BaseUrl = baseUrl, // omit for https://api.kie.ai/
        });

        TaskRecord record = await client.GenerateVideoAsync(new CreateTaskRequest
        {
            Input = new CreateTaskInput
            {
                Prompt = "A paper boat drifting down a rain-soaked street at dusk",
                Duration = VideoDuration.FiveSeconds,
                AspectRatio = AspectRatio.Landscape16x9,
                CfgScale = 0.5,
            },
        }, cancellationToken: cancellationToken);

        Uri video = record.GetResultUrls()[0]; // expires after about 24 hours: download it
        #endregion
        return video;
    }

    private static void DependencyInjection(WebApplicationBuilder builder)
    {
        #region Snippet:DependencyInjection
        // appsettings.json: { "Kling": { "ApiKey": "...", "BaseUrl": "https://api.kie.ai/" } }
        builder.Services.AddKlingClient(builder.Configuration.GetSection("Kling"));
        // then inject IKlingClient (or KlingClient) wherever you need it.
        #endregion
    }

    [Fact]
    public async Task The_download_example_saves_the_result_of_a_task_of_the_simulator()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { WaitingFor = TimeSpan.Zero, QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.Zero });
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        var record = await client.GenerateVideoAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "a boat" } }, cancellationToken: CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("kling-readme-").FullName;
        try
        {
            var path = await Download(client, record, folder, CancellationToken.None);

            path.Should().Be(Path.Combine(folder, record.TaskId + ".mp4"));
            using var direct = new HttpClient();
            (await File.ReadAllBytesAsync(path)).Should().Equal(await direct.GetByteArrayAsync(record.GetResultUrls()[0]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> Download(KlingClient client, TaskRecord record, string folder, CancellationToken cancellationToken)
    {
        #region Snippet:Download
        // The task id is service text: KlingFileNames makes it a safe name, checked to stay inside the folder.
        string path = KlingFileNames.InsideDirectory(folder, KlingFileNames.ForTask(record.TaskId));
        var progress = new Progress<KlingDownloadProgress>(p => Console.Write($"\r{p.BytesReceived:N0} of {p.TotalBytes:N0} bytes"));
        try
        {
            // No API key is sent to the result host; the file appears only when complete.
            path = await client.DownloadResultToFileAsync(record.GetResultUrls()[0], path,
                new KlingDownloadOptions { MaxBytes = 512L << 20, IdleTimeout = TimeSpan.FromSeconds(30) }, progress, cancellationToken);
        }
        catch (KlingDownloadException failed) when (failed.Reason == KlingDownloadFailure.FileExists)
        {
            Console.WriteLine(failed.Message); // the existing file was left as it is; set Overwrite = true to replace it
        }
        #endregion
        return path;
    }

    private static async Task Errors(IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        #region Snippet:Errors
        try
        {
            var created = await client.CreateTaskAsync(request, cancellationToken);
            Console.WriteLine($"Task {created.Data!.TaskId} submitted");
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException invalid)
        {
            Console.WriteLine(invalid.Message); // names the JSON field and the limit; nothing was sent
        }
        catch (KlingApiException error) when (error.Kind == KlingErrorKind.RateLimited)
        {
            Console.WriteLine($"Slow down; retry after {error.RetryAfter ?? TimeSpan.FromSeconds(10)}");
        }
        catch (KlingApiException error)
        {
            Console.WriteLine($"{error.Kind} ({error.Code}), retryable: {error.IsRetryable}: {error.Message}");
        }
        #endregion
    }

    private static async Task Polling(IKlingClient client, string taskId, CancellationToken cancellationToken)
    {
        #region Snippet:Polling
        var options = new KlingPollingOptions
        {
            InitialDelay = TimeSpan.FromSeconds(3),   // the defaults: wait 3 s + 10 % of the time waited, up to 30 s
            MaxDelay = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromMinutes(15),
        };
        var progress = new Progress<TaskRecord>(r => Console.WriteLine($"{r.TaskId}: {r.RawState}"));

        TaskRecord done = await client.WaitForCompletionAsync(taskId, options, progress, cancellationToken);
        #endregion
        _ = done;
    }

    private static async Task TaskIdFirst(IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        #region Snippet:TaskIdFirst
        try
        {
            TaskRecord record = await client.GenerateVideoAsync(request,
                onCreated: (taskId, ct) => File.AppendAllTextAsync("my-tasks.txt", taskId + "\n", ct), // paid from here on: persist it
                cancellationToken: cancellationToken);
        }
        catch (KlingTimeoutException timeout)
        {
            Console.WriteLine($"{timeout.TaskId} is still {timeout.LastState}; query it later instead of paying again.");
        }
        #endregion
    }

    private static void WebhookReceiver(WebApplication app, string hmacKey)
    {
        #region Snippet:WebhookReceiver
        var seen = new ConcurrentDictionary<string, bool>(); // use a shared store when you run several instances

        app.MapPost("/kling/callback", async (HttpRequest request) =>
        {
            if (request.ContentLength > KlingWebhook.MaxBodyLength)
            {
                return Results.StatusCode(413); // a callback is a few kilobytes; do not read a huge body
            }

            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            KlingCallback callback;
            try
            {
                callback = KlingWebhook.ParseAndVerify(body,
                    request.Headers["X-Webhook-Timestamp"], request.Headers["X-Webhook-Signature"], hmacKey);
            }
            catch (KlingWebhookException)
            {
                return Results.Unauthorized(); // forged, replayed or malformed: do not act on it
            }

            if (seen.TryAdd(callback.TaskId, true))
            {
                // First delivery: queue the work and answer at once (the service waits at most 15 s).
                // The signature covers only the task id: query the task for the authoritative result.
            }

            return Results.Json(new { code = 200, msg = "success" });
        });
        #endregion
    }

    private static async Task InProcessSimulator()
    {
        #region Snippet:Simulator
        await using var sim = await KlingSimulator.StartAsync(new KlingSimulatorOptions
        {
            GeneratingFor = TimeSpan.FromSeconds(1),
            WebhookHmacKey = "my-test-key",     // sign callbacks
            Fault = null,                       // or "maintenance", "generation-failed", "slow:500", ...
        });
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = sim.ApiKey, BaseUrl = sim.BaseUrl });
        #endregion
        _ = client;
    }

    private static string Dedent(string block)
    {
        var lines = block.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).TrimEnd('\n');
    }
}
