using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>Issue 11 §4: GenerateVideoAsync hands the caller the task id before it waits.</summary>
[Collection("Simulator")]
public sealed class TaskIdFirstTests(SimulatorFixture fixture)
{
    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "A lighthouse at dusk, waves below." } };

    [Fact]
    public async Task GenerateVideoAsync_hands_the_new_task_id_to_onCreated_before_the_first_query()
    {
        var client = fixture.NewClient();
        string? handed = null;
        var queriesBeforeCallback = -1;
        var progressBeforeCallback = 0;
        var reports = 0;

        var record = await client.GenerateVideoAsync(Request(), (taskId, _) =>
        {
            handed = taskId;
            progressBeforeCallback = reports;
            queriesBeforeCallback = fixture.Simulator.CreatedTasks.ContainsKey(taskId) ? 0 : -1;
            return Task.CompletedTask;
        }, SimulatorFixture.FastPolling, new Progress(() => reports++), CancellationToken.None);

        handed.Should().Be(record.TaskId, "onCreated got the id of the task that was then waited for");
        queriesBeforeCallback.Should().Be(0, "the simulator had created that task when onCreated ran");
        progressBeforeCallback.Should().Be(0, "onCreated runs before the first query is reported");
        reports.Should().BeGreaterThan(0);
        record.State.Should().Be(TaskState.Success);
    }

    [Fact]
    public async Task a_failing_onCreated_stops_before_waiting_and_the_task_still_exists()
    {
        var client = fixture.NewClient();
        string? handed = null;
        var reports = 0;

        var error = await client.Invoking(c => c.GenerateVideoAsync(Request(), (taskId, _) =>
        {
            handed = taskId;
            throw new IOException("disk full");
        }, SimulatorFixture.FastPolling, new Progress(() => reports++), CancellationToken.None)).Should().ThrowAsync<IOException>();

        error.Which.Message.Should().Be("disk full");
        handed.Should().NotBeNull();
        fixture.Simulator.CreatedTasks.Should().ContainKey(handed!, "the task was created before onCreated ran");
        reports.Should().Be(0, "nothing was waited for after onCreated failed");
    }

    [Fact]
    public async Task GenerateVideoAsync_timing_out_keeps_the_task_id_as_a_property()
    {
        // A service whose task never ends, so the wait surely runs out of time.
        await using var service = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/createTask", HostileServer.Answer(200, """{"code":200,"msg":"success","data":{"taskId":"task_forever_1"}}""", ("Content-Type", "application/json"))),
            ("/api/v1/jobs/recordInfo", HostileServer.Answer(200, """{"code":200,"msg":"success","data":{"taskId":"task_forever_1","model":"kling/v2-5-turbo-text-to-video-pro","state":"generating","param":"{}","resultJson":"","failCode":"","failMsg":""}}""", ("Content-Type", "application/json")))));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "k", BaseUrl = service.BaseUrl });
        string? handed = null;

        var error = (await client.Invoking(c => c.GenerateVideoAsync(Request(), (taskId, _) =>
        {
            handed = taskId;
            return Task.CompletedTask;
        }, new KlingPollingOptions { InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromMilliseconds(100) }, null, CancellationToken.None))
            .Should().ThrowAsync<KlingApiException>()).Which;
        error.Kind.Should().Be(KlingErrorKind.Timeout);

        handed.Should().Be("task_forever_1");
        error.TaskId.Should().Be("task_forever_1");
        error.LastState.Should().Be("generating");
        service.Requests.Where(r => r.Path == "/api/v1/jobs/createTask").Should().ContainSingle("a timeout never creates the task again");
        service.Requests.Should().Contain(r => r.Path == "/api/v1/jobs/recordInfo" && r.Query.Contains("taskId=task_forever_1"));
    }

    private sealed class Progress(Action report) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value) => report();
    }
}
