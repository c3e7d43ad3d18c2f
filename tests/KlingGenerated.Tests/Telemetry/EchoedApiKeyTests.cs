using System.Diagnostics;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>
/// A hostile service that echoes the caller's API key in the task id, failCode, failMsg and msg: the key is masked
/// (<see cref="KlingSecrets"/>) in every output: exception messages, log records, exported spans and metric tags, the
/// CLI's stderr and --json, the ledger's listing and what the AI tools hand the model.
/// </summary>
[Collection("Telemetry")]
public sealed class EchoedApiKeyTests
{
    private const string ApiKey = "kie-ECHOED-key-3c9f1e77aa";
    private const string TaskId = "task_" + ApiKey;

    private static readonly (string, string) Json = ("Content-Type", "application/json");

    /// <summary>createTask answers a task id that carries the key; recordInfo says that task failed with the key as failCode and in failMsg.</summary>
    private static HostileServer EchoingServer() => HostileServer.Start(HostileServer.ByPath(
        ("/api/v1/jobs/createTask", HostileServer.Answer(200, $$$"""{"code":200,"msg":"success","data":{"taskId":"{{{TaskId}}}"}}""", Json)),
        ("/api/v1/jobs/recordInfo", HostileServer.Answer(200, $$$"""{"code":200,"msg":"success","data":{"taskId":"{{{TaskId}}}","model":"kling/v2-5-turbo-text-to-video-pro","state":"fail","param":"{}","resultJson":"","failCode":"{{{ApiKey}}}","failMsg":"key {{{ApiKey}}} refused"}}""", Json)),
        ("/api/v1/chat/credit", HostileServer.Answer(200, $$$"""{"code":500,"msg":"internal error for {{{ApiKey}}}"}""", Json))));

    [Fact]
    public async Task An_echoed_key_is_masked_in_exceptions_logs_spans_and_metric_tags()
    {
        await using var server = EchoingServer();
        using var capture = new TelemetryCapture();
        // The balance query's code 500 is retried as always, 10-100 ms apart instead of 1-30 s: the retries' logs are checked too.
        var client = new KlingClient(new KlingClientOptions { ApiKey = ApiKey, BaseUrl = server.BaseUrl, LoggerFactory = capture.Logs.Factory(), Resilience = { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) } });
        var polling = new KlingPollingOptions { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(10) };

        var failed = await Assert.ThrowsAsync<KlingApiException>(() => client.GenerateVideoAsync(
            new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "a fox" } }, polling, cancellationToken: CancellationToken.None));
        var refused = await Assert.ThrowsAsync<KlingApiException>(() => client.GetRemainingCreditsAsync(CancellationToken.None));

        failed.Kind.Should().Be(KlingErrorKind.TaskFailed);
        server.Requests.Should().Contain(r => r.Path == "/api/v1/jobs/recordInfo", "the failed record was read");
        var spans = capture.Spans();
        var texts = new List<string>
        {
            failed.ToString(), failed.FailCode!, failed.FailMessage!, refused.ToString(), refused.ServerMessage!,
            TelemetryCapture.Describe(spans),
        };
        texts.AddRange(capture.Logs.Lines.Select(l => $"{l.Text} {l.Values}"));
        texts.AddRange(capture.Metrics().SelectMany(Tags));

        string.Join("\n", texts).Should().Contain(KlingSecrets.Replacement, "the echoed values reached the outputs, masked")
            .And.NotContain(ApiKey);
        spans.Should().Contain(s => s.GetTagItem(TelemetryTags.ResponseId) as string == "task_" + KlingSecrets.Replacement);
        spans.Should().Contain(s => s.GetTagItem(TelemetryTags.ErrorType) as string == KlingSecrets.Replacement);
    }

    [Fact]
    public async Task An_echoed_key_is_printed_nowhere_by_the_cli_neither_on_stderr_nor_in_json_nor_in_the_ledger_listing()
    {
        await using var server = EchoingServer();
        var dir = KlingProcess.NewDirectory();
        string[] common = ["--api-key", ApiKey, "--base-url", server.BaseUrl.ToString(), "--verbose"];

        var results = new[]
        {
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["generate", "a fox", "--json", .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["generate", "a fox", .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["status", TaskId, "--json", .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["status", TaskId, .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["credits", "--json", .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["tasks", "--json", .. common]),
            await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["tasks", .. common]),
        };

        results[0].ExitCode.Should().Be(ExitCodesTaskFailed, results[0].Stderr);
        var printed = string.Join("\n", results.Select(r => r.Stdout + "\n" + r.Stderr));
        printed.Should().Contain(KlingSecrets.Replacement, "the echoed task id, failCode and failMsg were printed, masked")
            .And.NotContain(ApiKey);
    }

    [Fact]
    public async Task An_echoed_key_is_masked_in_what_the_AI_tools_hand_the_model()
    {
        await using var server = EchoingServer();
        var client = new KlingClient(new KlingClientOptions { ApiKey = ApiKey, BaseUrl = server.BaseUrl });
        var model = new KlingGenerated.Tests.AI.ScriptedChatClient(
            _ => Call(KlingGenerated.AI.KlingAITools.GenerateVideoName, new() { ["prompt"] = "A fox." }),
            _ => Call(KlingGenerated.AI.KlingAITools.GetTaskName, new() { ["taskId"] = TaskId }),
            _ => new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "Done.")));
        using var agent = new Microsoft.Extensions.AI.FunctionInvokingChatClient(model);

        await agent.GetResponseAsync(
            [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "A video.")],
            new Microsoft.Extensions.AI.ChatOptions { Tools = KlingGenerated.AI.KlingAITools.Create(client, new KlingGenerated.AI.KlingAIToolsOptions { RequireApproval = false }) });

        var results = model.Results();
        results.Should().HaveCount(2);
        string.Join("\n", results).Should().Contain(KlingSecrets.Replacement).And.NotContain(ApiKey);
    }

    private static Microsoft.Extensions.AI.ChatResponse Call(string name, Dictionary<string, object?> arguments) =>
        new(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, [new Microsoft.Extensions.AI.FunctionCallContent(Guid.NewGuid().ToString("N"), name, arguments)]));

    [Fact]
    public void Masking_replaces_every_added_secret_and_leaves_short_values_and_other_text_alone()
    {
        KlingSecrets.Add("short");
        KlingSecrets.Add("masking-test-secret-91b2");

        KlingSecrets.Mask("a short word").Should().Be("a short word");
        KlingSecrets.Mask("id masking-test-secret-91b2 and masking-test-secret-91b2").Should().Be("id [API key] and [API key]");
        var untouched = "nothing secret here";
        KlingSecrets.Mask(untouched).Should().BeSameAs(untouched);
        KlingSecrets.Mask(null).Should().BeNull();
    }

    [Fact]
    public void A_key_a_client_registered_is_still_masked_after_a_thousand_other_keys_were_added()
    {
        var first = "first-client-key-" + Guid.NewGuid().ToString("N");
        _ = new KlingClient(new KlingClientOptions { ApiKey = first, BaseUrl = new Uri("http://masking.invalid/") }); // a client adds its key
        var others = Enumerable.Range(0, 1000).Select(i => $"other-key-{i:D4}-{Guid.NewGuid():N}").ToList();
        others.ForEach(KlingSecrets.Add);
        others.ForEach(KlingSecrets.Add); // adding a key again keeps one entry

        KlingSecrets.Mask($"task {first} failed").Should().Be("task [API key] failed", "a key registered first is never forgotten, however many came after");
        KlingSecrets.Mask($"{others[0]}|{others[^1]}").Should().Be("[API key]|[API key]");
    }

    [Fact]
    public void A_secret_that_contains_another_is_masked_whole_whatever_the_order_they_were_added()
    {
        var inner = "inner-secret-" + Guid.NewGuid().ToString("N");
        var outer = "outer-" + inner + "-tail";
        KlingSecrets.Add(inner);
        KlingSecrets.Add(outer);

        KlingSecrets.Mask($"a {outer} b {inner}").Should().Be("a [API key] b [API key]");
    }

    private const int ExitCodesTaskFailed = 4;

    private static IEnumerable<string> Tags(OpenTelemetry.Metrics.Metric metric)
    {
        var tags = new List<string>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            foreach (var tag in point.Tags)
            {
                tags.Add($"{metric.Name} {tag.Key}={tag.Value}");
            }
        }

        return tags;
    }
}
