using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests;

/// <summary>
/// Every documented way to build a client is equally safe: <c>new KlingClient(options)</c> gets the same retries, pacing
/// and timeouts as <c>AddKlingClient</c>; an HttpClient of your own is used as built, and an option it cannot honour is
/// refused with an error naming it, never ignored; the createTask journal is reachable from options and from DI.
/// </summary>
public sealed class ConstructionPathTests
{
    private const string Created = """{"code":200,"msg":"success","data":{"taskId":"task_built"}}""";

    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "p" } };

    [Fact]
    public async Task The_options_constructor_retries_a_429_as_AddKlingClient_does()
    {
        await using var server = HostileServer.Start(HostileServer.Sequence(
            HostileServer.Answer(429, """{"code":429,"msg":"slow down"}"""),
            HostileServer.Answer(200, Created)));
        var options = new KlingClientOptions { ApiKey = "k", BaseUrl = server.BaseUrl };
        options.Resilience.BaseDelay = TimeSpan.FromMilliseconds(1);
        options.Resilience.MaxDelay = TimeSpan.FromMilliseconds(5);

        var created = await new KlingClient(options).CreateTaskAsync(Request(), CancellationToken.None);

        created.Data!.TaskId.Should().Be("task_built");
        server.Requests.Should().HaveCount(2, "the 429 created nothing, so the pipeline sent it again");
    }

    [Fact]
    public async Task The_options_constructor_paces_createTask_and_says_a_paced_out_create_was_not_sent()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var options = new KlingClientOptions { ApiKey = "paced-" + Guid.NewGuid(), BaseUrl = server.BaseUrl };
        options.Resilience.CreateTaskPermitLimit = 1;
        options.Resilience.CreateTaskWindow = TimeSpan.FromHours(1);
        options.Resilience.AttemptTimeout = TimeSpan.FromSeconds(2); // not less: the first create must answer on a loaded machine
        options.Resilience.TotalTimeout = TimeSpan.FromSeconds(2);
        var client = new KlingClient(options);

        await client.CreateTaskAsync(Request(), CancellationToken.None);
        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);
        error.TaskMayExist.Should().BeFalse();
        error.IsRetryable.Should().BeTrue();
        error.Message.Should().Contain("pacing permit");
        server.Requests.Should().ContainSingle("the second create waited for a permit and never left");
    }

    [Fact]
    public async Task The_options_constructor_times_out_an_attempt_that_never_answers()
    {
        await using var server = HostileServer.Start(HostileServer.NeverAnswer());
        var options = new KlingClientOptions { ApiKey = "k", BaseUrl = server.BaseUrl };
        options.Resilience.AttemptTimeout = TimeSpan.FromSeconds(2); // not less: on a loaded machine the body must have left by then
        options.Resilience.TotalTimeout = TimeSpan.FromSeconds(10);

        var error = (await new KlingClient(options).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);
        error.TaskMayExist.Should().BeTrue("the request left and no answer came");
        server.Requests.Should().ContainSingle("a createTask that may exist is never sent again");
    }

    [Theory]
    [InlineData("MaxConnections")]
    [InlineData("Resilience")]
    public void An_HttpClient_of_your_own_refuses_an_option_only_the_library_pipeline_can_honour(string option)
    {
        var options = new KlingClientOptions { ApiKey = "k" };
        if (option == "MaxConnections")
        {
            options.MaxConnections = 4;
        }
        else
        {
            options.Resilience.MaxRetries = 1;
        }

        var build = () => new KlingClient(new HttpClient(), options);

        build.Should().Throw<ArgumentException>().WithMessage($"*KlingClientOptions.{option}*cannot be honoured*new KlingClient(options)*");
        options.MaxConnections = KlingClientOptions.DefaultMaxConnections;
        options.Resilience = new KlingResilienceOptions();
        new KlingClient(new HttpClient(), options).Should().NotBeNull("with the defaults nothing is ignored");
    }

    [Fact]
    public async Task AddKlingClient_honours_MaxConnections_and_Resilience_and_finds_a_registered_journal()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var journal = new CountingJournal();
        var services = new ServiceCollection();
        services.AddSingleton<IKlingCreateTaskJournal>(journal);
        services.AddKlingClient(o =>
        {
            o.ApiKey = "k";
            o.BaseUrl = server.BaseUrl;
            o.MaxConnections = 2;
            o.Resilience.MaxRetries = 1;
        });
        await using var provider = services.BuildServiceProvider();

        var created = await provider.GetRequiredService<IKlingClient>().CreateTaskAsync(Request(), CancellationToken.None);

        created.Data!.TaskId.Should().Be("task_built");
        journal.Outcomes.Should().ContainSingle().Which.TaskId.Should().Be("task_built");
    }

    [Fact]
    public async Task The_options_constructor_calls_the_journal_set_in_the_options()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var journal = new CountingJournal();

        await new KlingClient(new KlingClientOptions { ApiKey = "k", BaseUrl = server.BaseUrl, CreateTaskJournal = journal }).CreateTaskAsync(Request(), CancellationToken.None);

        journal.Sending.Should().Be(1);
        journal.Outcomes.Should().ContainSingle().Which.Created.Should().BeTrue();
    }

    private sealed class CountingJournal : IKlingCreateTaskJournal
    {
        public int Sending;

        public List<KlingCreateTaskOutcome> Outcomes { get; } = [];

        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sending);
            return ValueTask.CompletedTask;
        }

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken)
        {
            lock (Outcomes)
            {
                Outcomes.Add(outcome);
            }

            return ValueTask.CompletedTask;
        }
    }
}
