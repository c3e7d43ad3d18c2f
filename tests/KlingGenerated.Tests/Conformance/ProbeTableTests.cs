using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The answers where the flags and the behaviour once disagreed, played through both real pipelines
/// (<c>AddKlingClient</c> and <c>new KlingClient(options)</c>): the number of requests sent is what the outcome's
/// <c>IsRetryable</c> says, and "may a task exist" is decided once and read the same by the exception and the journal.
/// </summary>
public sealed class ProbeTableTests
{
    private const string Record = """{"code":200,"msg":"success","data":{"taskId":"task_probe","state":"waiting"}}""";
    private const string Created = """{"code":200,"msg":"success","data":{"taskId":"task_probe"}}""";

    public static TheoryData<string, int, string, string, bool> QueryAnswers() => new()
    {
        { "body code 503 in HTTP 200", 200, "application/json", """{"code":503,"msg":"busy","data":null}""", true },
        { "body code 502 in HTTP 200", 200, "application/json", """{"code":502,"msg":"bad gateway","data":null}""", true },
        { "HTTP 501 HTML", 501, "text/html", "<html><body>501 Not Implemented</body></html>", true },
        { "HTTP 505 empty", 505, "text/plain", string.Empty, true },
        { "HTTP 520 HTML", 520, "text/html", "<html><body>520 Web server is returning an unknown error</body></html>", true },
        { "HTTP 501 with the envelope's code 501", 501, "application/json", """{"code":501,"msg":"Generation failed","data":null}""", false },
    };

    [Theory]
    [MemberData(nameof(QueryAnswers))]
    public async Task A_query_is_sent_again_exactly_when_its_first_answer_is_retryable(string answer, int status, string contentType, string body, bool retried)
    {
        foreach (var pipeline in new[] { "AddKlingClient", "new KlingClient(options)" })
        {
            await using var server = HostileServer.Start(HostileServer.Sequence(
                HostileServer.Answer(status, body, ("Content-Type", contentType)),
                HostileServer.Answer(200, Record)));
            var client = Build(pipeline, server.BaseUrl, journal: null, out var provider);
            await using var _ = provider;

            Exception? error = null;
            try
            {
                await client.GetTaskRecordAsync("task_probe", CancellationToken.None);
            }
            catch (KlingApiException exception)
            {
                error = exception;
            }

            Probe.Write($"{answer} | {pipeline} | requests {server.Requests.Count} | {(error is KlingApiException e ? $"{e.Kind} retryable={e.IsRetryable} mayExist={e.TaskMayExist}" : "succeeded")}");
            server.Requests.Should().HaveCount(retried ? 2 : 1, "{0} through {1}", answer, pipeline);
            if (!retried)
            {
                var final = error.Should().BeOfType<KlingApiException>().Which;
                final.IsRetryable.Should().BeFalse("a final answer is not retryable");
                final.TaskMayExist.Should().BeFalse("a query never says anything about a paid task");
            }
        }
    }

    [Fact]
    public async Task A_createTask_cancelled_after_its_body_left_is_may_exist_for_the_journal_and_the_caller()
    {
        await using var server = HostileServer.Start(HostileServer.NeverAnswer());
        var journal = new RecordingJournal();
        var client = Build("new KlingClient(options)", server.BaseUrl, journal, out _);
        using var cancel = new CancellationTokenSource();
        var call = client.CreateTaskAsync(Request(), cancel.Token);
        while (server.Requests.Count == 0)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();
        await ((Func<Task>)(() => call)).Should().ThrowAsync<OperationCanceledException>();

        Probe.Write($"createTask cancelled after its body left | journal mayExist={journal.Outcome?.TaskMayExist}");
        journal.Outcome!.TaskMayExist.Should().BeTrue("the body left, so a task may exist");
    }

    [Fact]
    public async Task A_createTask_whose_journal_refuses_a_retry_body_sent_nothing_on_that_attempt()
    {
        await using var server = HostileServer.Start(HostileServer.Sequence(
            HostileServer.Answer(429, """{"code":429,"msg":"slow down","data":null}"""),
            HostileServer.Answer(200, Created)));
        var journal = new RecordingJournal { RefuseSendingFrom = 2 };
        var client = Build("new KlingClient(options)", server.BaseUrl, journal, out _);

        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<Exception>()).Which;
        var api = error as KlingApiException ?? error.InnerException as KlingApiException;

        Probe.Write($"journal refuses a retry's body | requests {server.Requests.Count} | {error.GetType().Name} mayExist={api?.TaskMayExist} | journal mayExist={journal.Outcome?.TaskMayExist}");
        server.Requests.Should().ContainSingle("the second body never left");
        (api?.TaskMayExist ?? false).Should().BeFalse("the only body that left was answered 429: nothing was created");
        journal.Outcome!.TaskMayExist.Should().BeFalse();
    }

    [Fact]
    public async Task A_createTask_attempt_that_timed_out_before_its_body_left_says_nothing_was_created()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var journal = new RecordingJournal { SendingDelay = TimeSpan.FromSeconds(3) };
        var options = new KlingClientOptions { ApiKey = "probe-" + Guid.NewGuid(), BaseUrl = server.BaseUrl, CreateTaskJournal = journal };
        options.Resilience.AttemptTimeout = TimeSpan.FromMilliseconds(300);
        options.Resilience.TotalTimeout = TimeSpan.FromMilliseconds(300);
        options.Resilience.MaxRetries = 0;

        var error = (await new KlingClient(options).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        Probe.Write($"createTask timed out before its body left | requests {server.Requests.Count} | {error.Kind} mayExist={error.TaskMayExist} retryable={error.IsRetryable} | {error.Message}");
        server.Requests.Should().BeEmpty();
        error.TaskMayExist.Should().BeFalse();
        error.Message.Should().NotContain("may or may not", "nothing left, so nothing can exist");
    }

    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "A paper boat." } };

    private static IKlingClient Build(string pipeline, Uri baseUrl, IKlingCreateTaskJournal? journal, out ServiceProvider? provider)
    {
        void Configure(KlingClientOptions o)
        {
            o.ApiKey = "probe-" + Guid.NewGuid();
            o.BaseUrl = baseUrl;
            o.CreateTaskJournal = journal;
            o.Resilience.BaseDelay = TimeSpan.FromMilliseconds(1);
            o.Resilience.MaxDelay = TimeSpan.FromMilliseconds(5);
        }

        if (pipeline == "AddKlingClient")
        {
            var services = new ServiceCollection();
            services.AddKlingClient(Configure);
            provider = services.BuildServiceProvider();
            return provider.GetRequiredService<IKlingClient>();
        }

        provider = null;
        var options = new KlingClientOptions();
        Configure(options);
        return new KlingClient(options);
    }

    private sealed class RecordingJournal : IKlingCreateTaskJournal
    {
        private int _sending;

        public int RefuseSendingFrom { get; init; } = int.MaxValue;

        public TimeSpan SendingDelay { get; init; }

        public KlingCreateTaskOutcome? Outcome { get; private set; }

        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
        {
            if (++_sending >= RefuseSendingFrom)
            {
                throw new IOException("the journal's disk is full");
            }

            await Task.Delay(SendingDelay, cancellationToken);
        }

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken)
        {
            Outcome = outcome;
            return ValueTask.CompletedTask;
        }
    }

    private static class Probe
    {
        private static readonly Lock Gate = new();

        // The figures of the closing note: set KLING_PROBE_OUT to a file to collect the rows.
        public static void Write(string line)
        {
            if (Environment.GetEnvironmentVariable("KLING_PROBE_OUT") is { Length: > 0 } path)
            {
                lock (Gate)
                {
                    File.AppendAllText(path, line + Environment.NewLine);
                }
            }
        }
    }
}
