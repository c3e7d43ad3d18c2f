using System.Net;
using System.Text;
using System.Threading.RateLimiting;
using KlingGenerated.Cli.Ledger;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Pacing;

/// <summary>
/// A createTask that only waits for its pacing permit is not on the wire: the journal must not have recorded it as
/// "sending" then, neither before its first attempt nor while a retry (after an answer that created nothing) waits for
/// its next permit; otherwise a kill during that wait leaves a line "uncertain" that surely created nothing. Each test
/// holds the pacer's permit until it has looked at the journal (or the ledger): no timing involved.
/// </summary>
public sealed class PacingWaitJournalTests
{
    private static readonly KlingResilienceOptions Policy = new()
    {
        MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(30), TotalTimeout = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public async Task A_createTask_waiting_for_its_first_permit_is_not_journaled_as_sending()
    {
        var journal = new RecordingJournal();
        var pacer = new HeldPacer(holdAcquire: 1);
        var transport = new Answers(Created("task_1"));
        var create = Client(transport, pacer, journal).CreateTaskAsync(Request(), CancellationToken.None);

        await pacer.Waiting.WaitAsync(TimeSpan.FromSeconds(60));
        var seenWhileWaiting = journal.Snapshot();
        pacer.Release();
        var created = await create.WaitAsync(TimeSpan.FromSeconds(60));

        seenWhileWaiting.Should().Equal(["creating"], "a create waiting for its permit has not started to leave");
        transport.Bodies.Should().Be(1);
        created.Data!.TaskId.Should().Be("task_1");
        journal.Snapshot().Should().Equal("creating", "sending", "completed");
    }

    [Fact]
    public async Task A_createTask_answered_429_is_journaled_as_retrying_before_it_waits_for_its_next_permit()
    {
        var journal = new RecordingJournal();
        var pacer = new HeldPacer(holdAcquire: 2);
        var transport = new Answers(TooManyRequests(), Created("task_2"));
        var create = Client(transport, pacer, journal).CreateTaskAsync(Request(), CancellationToken.None);

        await pacer.Waiting.WaitAsync(TimeSpan.FromSeconds(60));
        var seenWhileWaiting = journal.Snapshot();
        pacer.Release();
        var created = await create.WaitAsync(TimeSpan.FromSeconds(60));

        seenWhileWaiting.Should().Equal(["creating", "sending", "retrying"], "the 429 created nothing, and the retry has not left yet");
        transport.Bodies.Should().Be(2);
        created.Data!.TaskId.Should().Be("task_2");
        journal.Snapshot().Should().Equal("creating", "sending", "retrying", "sending", "completed");
    }

    [Fact]
    public async Task A_ledger_line_whose_retry_waits_for_its_permit_is_queued_so_a_crash_then_leaves_it_unsent_not_uncertain()
    {
        var dir = KlingProcess.NewDirectory();
        using var ledger = LedgerLocation.OpenSetting(Path.Combine(dir, "tasks.db"));
        var pacer = new HeldPacer(holdAcquire: 2);
        var transport = new Answers(TooManyRequests(), Created("task_3"));
        var client = Client(transport, pacer, LedgerJournal.Shared);
        var request = Request();
        var id = ledger.RecordQueued("endpoint-a", LedgeredCreate.Serialize(request), "b.jsonl", "key-1", 1);
        var create = LedgeredCreate.TryCreateRecordedAsync(ledger, id, client, request, CancellationToken.None);

        await pacer.Waiting.WaitAsync(TimeSpan.FromSeconds(60));
        var whileWaiting = ledger.List(null, null).Single(e => e.Id == id);
        pacer.Release();
        var result = await create.WaitAsync(TimeSpan.FromSeconds(60));

        whileWaiting.Outcome.Should().Be("queued", "the 429 said nothing was created and the retry has not left");
        whileWaiting.IsUncertain.Should().BeFalse("a kill now must leave a line the next run sends, not one the user resolves by hand");
        result.Outcome.Should().Be("created");
        ledger.Find("task_3")!.Id.Should().Be(id);
    }

    private static KlingClient Client(HttpMessageHandler transport, IKlingCreateTaskPacer pacer, IKlingCreateTaskJournal journal) =>
        new(new HttpClient(new KlingResilienceHandler(Policy, pacer) { InnerHandler = transport }),
            new KlingClientOptions { ApiKey = "pacing-wait-key", BaseUrl = new Uri("http://pacing-wait.invalid/"), CreateTaskJournal = journal });

    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "a create that waits for its permit" } };

    private static Func<HttpResponseMessage> Created(string taskId) => () => new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StringContent($$$"""{"code":200,"msg":"success","data":{"taskId":"{{{taskId}}}"}}""", Encoding.UTF8, "application/json"),
    };

    private static Func<HttpResponseMessage> TooManyRequests() => () => new HttpResponseMessage(HttpStatusCode.TooManyRequests)
    {
        Content = new StringContent("""{"code":429,"msg":"slow down"}""", Encoding.UTF8, "application/json"),
    };

    /// <summary>Reads each body as a connection does, then plays the next answer.</summary>
    private sealed class Answers(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private int _next;

        public int Bodies;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await request.Content!.CopyToAsync(Stream.Null, cancellationToken);
            Interlocked.Increment(ref Bodies);
            return answers[Math.Min(Interlocked.Increment(ref _next) - 1, answers.Length - 1)]();
        }
    }

    /// <summary>Grants permits at once, except the one asked for <c>holdAcquire</c>-th, which it holds until released.</summary>
    private sealed class HeldPacer(int holdAcquire) : IKlingCreateTaskPacer
    {
        private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _asked;

        /// <summary>Completes when the held permit is asked for.</summary>
        public Task Waiting => _waiting.Task;

        public void Release() => _released.TrySetResult();

        public async ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _asked) == holdAcquire)
            {
                _waiting.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            return new Granted();
        }

        private sealed class Granted : RateLimitLease
        {
            public override bool IsAcquired => true;

            public override IEnumerable<string> MetadataNames => [];

            public override bool TryGetMetadata(string metadataName, out object? metadata)
            {
                metadata = null;
                return false;
            }
        }
    }

    private sealed class RecordingJournal : IKlingCreateTaskJournal
    {
        private readonly List<string> _calls = [];

        public string[] Snapshot()
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }

        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => Add("creating");

        public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => Add("sending");

        public ValueTask RetryingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => Add("retrying");

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken) => Add("completed");

        private ValueTask Add(string call)
        {
            lock (_calls)
            {
                _calls.Add(call);
            }

            return ValueTask.CompletedTask;
        }
    }
}
