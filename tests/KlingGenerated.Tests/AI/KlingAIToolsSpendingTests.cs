using System.Text.Json;
using KlingGenerated.AI;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.AI;

namespace KlingGenerated.Tests.AI;

/// <summary>
/// generate_video cannot run away: approval by default, a session budget through the library's spend gate, one task per
/// identical request in a session, blank prompts refused by the shared validator, a lost answer reported as "may exist".
/// </summary>
[Collection("Simulator")]
public sealed class KlingAIToolsSpendingTests(SimulatorFixture fixture)
{
    private static readonly KlingAIToolsOptions Unattended = new() { RequireApproval = false, Budget = new KlingBudget(100_000) };

    [Fact]
    public async Task Generate_video_needs_the_users_approval_by_default_and_sends_nothing_without_it()
    {
        var model = new ScriptedChatClient(_ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = "A lighthouse." }));
        using var agent = new FunctionInvokingChatClient(model);
        var created = fixture.Simulator.TaskCount;

        var answer = await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "Make a video.")], new ChatOptions { Tools = KlingAITools.Create(fixture.NewClient()) });

#pragma warning disable MEAI001
        answer.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>().Should().ContainSingle("the app is asked to approve the paid call");
        KlingAITools.Create(fixture.NewClient()).Single(t => t.Name == KlingAITools.GenerateVideoName).Should().BeOfType<ApprovalRequiredAIFunction>();
        KlingAITools.Create(fixture.NewClient(), new KlingAIToolsOptions { RequireApproval = false }).Single(t => t.Name == KlingAITools.GenerateVideoName).Should().NotBeOfType<ApprovalRequiredAIFunction>();
#pragma warning restore MEAI001
        fixture.Simulator.TaskCount.Should().Be(created, "nothing runs before approval");
    }

    [Fact]
    public async Task Two_hundred_identical_calls_in_one_turn_create_one_task_and_all_get_its_id()
    {
        var model = new ScriptedChatClient(
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [.. Enumerable.Range(0, 200).Select(_ => CallContent(KlingAITools.GenerateVideoName, new() { ["prompt"] = "Same clip." }))])),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done.")));
        using var agent = new FunctionInvokingChatClient(model) { AllowConcurrentInvocation = true, MaximumIterationsPerRequest = 10 };
        var created = fixture.Simulator.TaskCount;

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "Go.")], new ChatOptions { Tools = KlingAITools.Create(fixture.NewClient(), Unattended) });

        fixture.Simulator.TaskCount.Should().Be(created + 1);
        var results = model.Results().Select(r => JsonSerializer.Deserialize<JsonElement>(r)).ToList();
        results.Should().HaveCount(200);
        results.Select(r => r.GetProperty("taskId").GetString()).Distinct().Should().ContainSingle().Which.Should().NotBeNullOrEmpty();
        results.Count(r => r.GetProperty("status").GetString() == "created").Should().Be(1);
        results.Count(r => r.GetProperty("status").GetString() == "created-earlier").Should().Be(199);
    }

    [Fact]
    public async Task A_model_that_asks_for_new_videos_every_turn_stops_at_the_default_budget()
    {
        var turn = 0;
        var turns = Enumerable.Range(0, 40).Select<int, Func<IReadOnlyList<ChatMessage>, ChatResponse>>(_ => _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = $"Clip {Interlocked.Increment(ref turn)}." }))
            .Append(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done."))).ToArray();
        var model = new ScriptedChatClient(turns);
        using var agent = new FunctionInvokingChatClient(model) { MaximumIterationsPerRequest = 100 };
        var created = fixture.Simulator.TaskCount;

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "Go.")], new ChatOptions { Tools = KlingAITools.Create(fixture.NewClient(), new KlingAIToolsOptions { RequireApproval = false }) });

        fixture.Simulator.TaskCount.Should().Be(created + 2, $"the default budget is {KlingAIToolsOptions.DefaultBudgetCredits} credits: two tasks of 42");
        var results = model.Results().Select(r => JsonSerializer.Deserialize<JsonElement>(r)).ToList();
        results.Count(r => r.GetProperty("status").GetString() == "refused").Should().Be(38);
        results.Last().GetProperty("message").GetString().Should().Contain("budget");
    }

    [Theory]
    [InlineData("")]
    public async Task A_blank_prompt_is_refused_by_the_shared_validator_and_nothing_is_sent(string prompt)
    {
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = prompt }),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sorry.")));
        using var agent = new FunctionInvokingChatClient(model);
        var created = fixture.Simulator.TaskCount;

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "A video.")], new ChatOptions { Tools = KlingAITools.Create(fixture.NewClient(), Unattended) });

        var result = JsonSerializer.Deserialize<JsonElement>(model.Results().Single());
        result.GetProperty("status").GetString().Should().Be("refused");
        result.GetProperty("message").GetString().Should().Contain("prompt").And.Contain("Nothing was sent");
        fixture.Simulator.TaskCount.Should().Be(created);
    }

    [Fact]
    public async Task A_lost_answer_is_reported_as_may_exist_and_the_same_request_is_not_sent_again()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(500, """{"code":500,"msg":"oops","data":null}"""));
        var client = new KlingClient(new KlingClientOptions { ApiKey = "k", BaseUrl = server.BaseUrl });
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = "Lost." }),
            _ => Call(KlingAITools.GenerateVideoName, new() { ["prompt"] = "Lost." }),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Checked.")));
        using var agent = new FunctionInvokingChatClient(model);

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "A video.")], new ChatOptions { Tools = KlingAITools.Create(client, Unattended) });

        var results = model.Results().Select(r => JsonSerializer.Deserialize<JsonElement>(r)).ToList();
        results.Should().HaveCount(2);
        results.Should().AllSatisfy(r => r.GetProperty("status").GetString().Should().Be("may-exist"));
        results[0].GetProperty("message").GetString().Should().Contain("may exist").And.Contain("Do NOT call generate_video again");
        server.Requests.Should().ContainSingle("the retry of a request that may exist was not sent");
    }

    [Fact]
    public async Task Wait_for_video_waits_for_the_end_within_its_bound()
    {
        var client = fixture.NewClient();
        var created = await client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "Wait for me." } });
        var model = new ScriptedChatClient(
            _ => Call(KlingAITools.WaitForVideoName, new() { ["taskId"] = created.Data!.TaskId, ["maxSeconds"] = 30 }),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done.")));
        using var agent = new FunctionInvokingChatClient(model);

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "Wait.")], new ChatOptions { Tools = KlingAITools.Create(client, new KlingAIToolsOptions { MaxWait = TimeSpan.FromSeconds(60) }) });

        var result = JsonSerializer.Deserialize<JsonElement>(model.Results().Single());
        result.GetProperty("state").GetString().Should().Be("success");
        result.GetProperty("videoUrls").GetArrayLength().Should().Be(1);
    }

    private static ChatResponse Call(string name, Dictionary<string, object?> arguments) =>
        new(new ChatMessage(ChatRole.Assistant, [CallContent(name, arguments)]));

    private static FunctionCallContent CallContent(string name, Dictionary<string, object?> arguments) => new(Guid.NewGuid().ToString("N"), name, arguments);
}
