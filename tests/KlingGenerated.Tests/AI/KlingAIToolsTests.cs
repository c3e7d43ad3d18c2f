using System.Text.Json;
using KlingGenerated.AI;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace KlingGenerated.Tests.AI;

/// <summary>
/// The AIFunction tools driven as a model would drive them: through FunctionInvokingChatClient over a scripted chat
/// client (no model service), against the in-process simulator.
/// </summary>
[Collection("Simulator")]
public sealed class KlingAIToolsTests(SimulatorFixture fixture)
{
    [Fact]
    public async Task An_agent_starts_a_video_checks_it_and_reads_the_credits_through_the_tools()
    {
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = "A lighthouse at dawn.", ["duration"] = "10", ["aspectRatio"] = "9:16" }),
            seen => Call(KlingAITools.GetTaskName, new() { ["taskId"] = TaskIdIn(seen) }),
            _ => Call(KlingAITools.GetCreditsName, []),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Started.")));
        using var agent = new FunctionInvokingChatClient(model);
        var client = fixture.NewClient();
        var before = (await client.GetRemainingCreditsAsync()).Data;

        var answer = await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "Make me a lighthouse video.")], new ChatOptions { Tools = KlingAITools.Create(client, new KlingAIToolsOptions { RequireApproval = false }) });

        answer.Text.Should().Be("Started.");
        var results = model.Results();
        results.Should().HaveCount(3);
        var taskId = JsonSerializer.Deserialize<JsonElement>(results[0]).GetProperty("taskId").GetString();
        taskId.Should().NotBeNullOrEmpty();
        var record = (await client.GetTaskRecordAsync(taskId!)).Data!;
        JsonDocument.Parse(record.Param!).RootElement.GetProperty("input").GetProperty("prompt").GetString().Should().Be("A lighthouse at dawn.", "the tool sent the prompt the model gave");
        JsonDocument.Parse(record.Param!).RootElement.GetProperty("input").GetProperty("aspect_ratio").GetString().Should().Be("9:16");
        var status = JsonSerializer.Deserialize<JsonElement>(results[1]);
        status.GetProperty("taskId").GetString().Should().Be(taskId);
        status.GetProperty("state").GetString().Should().BeOneOf("waiting", "queuing", "generating", "success");
        long.Parse(results[2], System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThanOrEqualTo(before!.Value);
    }

    [Fact]
    public async Task A_finished_task_gives_the_model_its_video_url_and_a_failed_one_its_failCode()
    {
        var client = fixture.NewClient();
        var done = await client.GenerateVideoAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "Done." } }, SimulatorFixture.FastPolling);
        var failed = await fixture.NewClient("generation-failed").CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "Fails." } });
        await fixture.NewClient().Invoking(c => c.WaitForCompletionAsync(failed.Data!.TaskId, SimulatorFixture.FastPolling)).Should().ThrowAsync<KlingApiException>();
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.GetTaskName, new() { ["taskId"] = done.TaskId }),
            _ => Call(KlingAITools.GetTaskName, new() { ["taskId"] = failed.Data!.TaskId }),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Checked.")));
        using var agent = new FunctionInvokingChatClient(model);

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "How are my videos?")], new ChatOptions { Tools = KlingAITools.Create(client) });

        var results = model.Results().Select(r => JsonSerializer.Deserialize<JsonElement>(r)).ToList();
        results[0].GetProperty("state").GetString().Should().Be("success");
        results[0].GetProperty("videoUrls").EnumerateArray().Single().GetString().Should().Be(done.GetResultUrls().Single().AbsoluteUri);
        results[1].GetProperty("state").GetString().Should().Be("fail");
        results[1].GetProperty("failCode").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_duration_the_service_does_not_offer_is_refused_before_anything_is_sent()
    {
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = "Too long.", ["duration"] = "7" }),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sorry.")));
        using var agent = new FunctionInvokingChatClient(model) { IncludeDetailedErrors = true };
        var created = fixture.Simulator.TaskCount;

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "A 7 s video.")], new ChatOptions { Tools = KlingAITools.Create(fixture.NewClient(), new KlingAIToolsOptions { RequireApproval = false }) });

        model.Results().Single().Should().Contain("duration must be one of 5, 10");
        fixture.Simulator.TaskCount.Should().Be(created, "no createTask was sent");
    }

    [Fact]
    public void The_tools_describe_their_parameters_to_the_model()
    {
        var tools = KlingAITools.Create(fixture.NewClient()).Cast<AIFunction>().ToDictionary(t => t.Name);

        tools.Keys.Should().BeEquivalentTo([KlingAITools.GenerateVideoName, KlingAITools.WaitForVideoName, KlingAITools.GetTaskName, KlingAITools.GetCreditsName]);
        var schema = tools[KlingAITools.GenerateVideoName].JsonSchema;
        schema.GetProperty("properties").GetProperty("prompt").GetProperty("description").GetString().Should().Contain("2500");
        schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Should().Equal("prompt");
    }

    private static ChatResponse Call(string name, Dictionary<string, object?> arguments) =>
        new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(Guid.NewGuid().ToString("N"), name, arguments)]));

    private static string TaskIdIn(IReadOnlyList<ChatMessage> seen) =>
        JsonSerializer.Deserialize<JsonElement>(seen.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Last().Result!.ToString()!).GetProperty("taskId").GetString()!;
}
