using System.Net;
using System.Net.Sockets;
using System.Text;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// The outcome table of docs/reliability.md, row by row and in both directions: whether a createTask is retried,
/// whether <see cref="KlingApiException.TaskMayExist"/> says a paid task may exist, that <see cref="KlingApiException.IsRetryable"/>
/// is never true then, what the journal is told, and that a query meeting the same failure is retried (or not).
/// The transport reads each request's body as a real connection does, so "sent" means the body started to leave.
/// </summary>
public sealed class CreateTaskOutcomeTests
{
    private static readonly KlingResilienceOptions Fast = new()
    {
        MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromMilliseconds(300), TotalTimeout = TimeSpan.FromSeconds(10), CreateTaskPermitLimit = 0,
    };

    private delegate Task<HttpResponseMessage> Step(HttpRequestMessage request, CancellationToken cancellationToken);

    /// <summary>Plays one failure on every attempt; reads the body first unless the connection is "never made".</summary>
    private sealed class Transport(Step step, bool connects = true) : HttpMessageHandler
    {
        public int Attempts;

        public int BodiesReceived;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            if (connects && request.Content is not null)
            {
                await request.Content.CopyToAsync(Stream.Null, cancellationToken);
                Interlocked.Increment(ref BodiesReceived);
            }

            return await step(request, cancellationToken);
        }
    }

    private sealed class RecordingJournal : IKlingCreateTaskJournal
    {
        public List<string> Calls { get; } = [];

        public KlingCreateTaskOutcome? Outcome { get; private set; }

        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
        {
            Calls.Add("creating");
            return ValueTask.CompletedTask;
        }

        public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
        {
            Calls.Add("sending");
            return ValueTask.CompletedTask;
        }

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken)
        {
            Calls.Add("completed");
            Outcome = outcome;
            return ValueTask.CompletedTask;
        }
    }

    private static Step Json(string body, HttpStatusCode status = HttpStatusCode.OK, string mediaType = "application/json") => (_, _) =>
        Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) });

    private static Step Throw(Exception exception) => (_, _) => Task.FromException<HttpResponseMessage>(exception);

    private static Step Hang() => async (_, cancellationToken) =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        throw new InvalidOperationException("unreachable");
    };

    private static Step CutOff() => (_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StreamContent(new BreakingStream("""{"code":200,"msg":"success","data":{"task"""u8.ToArray())),
    });

    /// <summary>Rows: name, the failure, whether a connection is made, createTask retried?, task may exist?, query retried?</summary>
    public static TheoryData<string, bool, bool, bool> Rows() => new()
    {
        // name, createRetried, taskMayExist, queryRetried
        { "HTTP 429", true, false, true },
        { "body 429", true, false, true },
        { "body 455", true, false, true },
        { "connection refused (nothing sent)", true, false, true },
        { "HTTP 500", false, true, true },
        { "HTTP 502", false, true, true },
        { "HTTP 503", false, true, true },
        { "HTTP 504", false, true, true },
        { "body 500", false, true, true },
        { "HTTP 502 with body code 429", false, true, true },
        { "HTML 502", false, true, true },
        { "attempt timeout after sending", false, true, true },
        { "connection dropped after sending", false, true, true },
        { "answer cut off mid-body", false, true, true },
        { "unreadable HTTP 200", false, true, false },
        { "HTTP 200 without a task id", false, true, false },
        { "HTTP 302", false, false, false },
        { "body 501", false, false, false },
        { "body 422", false, false, false },
        { "HTTP 401", false, false, false },
        { "body 402", false, false, false },
    };

    private static (Step Step, bool Connects) Failure(string name) => name switch
    {
        "HTTP 429" => (Json("""{"code":429,"msg":"slow down"}""", HttpStatusCode.TooManyRequests), true),
        "body 429" => (Json("""{"code":429,"msg":"slow down"}"""), true),
        "body 455" => (Json("""{"code":455,"msg":"maintenance"}"""), true),
        "connection refused (nothing sent)" => (Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused))), false),
        "HTTP 500" => (Json("""{"code":500,"msg":"oops"}""", HttpStatusCode.InternalServerError), true),
        "HTTP 502" => (Json("""{"code":502,"msg":"bad gateway"}""", HttpStatusCode.BadGateway), true),
        "HTTP 503" => (Json("""{"code":503,"msg":"unavailable"}""", HttpStatusCode.ServiceUnavailable), true),
        "HTTP 504" => (Json("""{"code":504,"msg":"gateway timeout"}""", HttpStatusCode.GatewayTimeout), true),
        "body 500" => (Json("""{"code":500,"msg":"oops"}"""), true),
        "HTTP 502 with body code 429" => (Json("""{"code":429,"msg":"slow down"}""", HttpStatusCode.BadGateway), true),
        "HTML 502" => (Json("<html>502 Bad Gateway</html>", HttpStatusCode.BadGateway, "text/html"), true),
        "attempt timeout after sending" => (Hang(), true),
        "connection dropped after sending" => (Throw(new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.")), true),
        "answer cut off mid-body" => (CutOff(), true),
        "unreadable HTTP 200" => (Json("<html>ok</html>", HttpStatusCode.OK, "text/html"), true),
        "HTTP 200 without a task id" => (Json("""{"code":200,"msg":"success","data":{}}"""), true),
        "HTTP 302" => ((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri("http://elsewhere.invalid/") } }), true),
        "body 501" => (Json("""{"code":501,"msg":"generation failed"}"""), true),
        "body 422" => (Json("""{"code":422,"msg":"bad prompt"}"""), true),
        "HTTP 401" => (Json("""{"code":401,"msg":"no key"}""", HttpStatusCode.Unauthorized), true),
        "body 402" => (Json("""{"code":402,"msg":"no credits"}"""), true),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static KlingClient Client(Transport transport, IKlingCreateTaskJournal? journal = null) =>
        new(new HttpClient(new KlingResilienceHandler(Fast) { InnerHandler = transport }), new KlingClientOptions { ApiKey = "k", BaseUrl = new Uri("http://outcomes.invalid/"), CreateTaskJournal = journal });

    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "p" } };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_failed_createTask_says_whether_a_task_may_exist_and_is_retried_only_when_nothing_was_created(string row, bool createRetried, bool taskMayExist, bool queryRetried)
    {
        _ = queryRetried;
        var (step, connects) = Failure(row);
        var transport = new Transport(step, connects);
        var journal = new RecordingJournal();

        var error = (await Client(transport, journal).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None))
            .Should().ThrowAsync<KlingApiException>(row)).Which;

        transport.Attempts.Should().Be(createRetried ? 1 + Fast.MaxRetries : 1, row);
        error.TaskMayExist.Should().Be(taskMayExist, row);
        if (error.TaskMayExist)
        {
            error.IsRetryable.Should().BeFalse($"{row}: a retry could pay twice");
        }

        journal.Calls.First().Should().Be("creating");
        journal.Calls.Last().Should().Be("completed");
        journal.Calls.Count(c => c == "sending").Should().Be(transport.BodiesReceived, row);
        journal.Outcome!.Created.Should().BeFalse();
        journal.Outcome.TaskMayExist.Should().Be(taskMayExist, row);
        journal.Outcome.SurelyNothingCreated.Should().Be(!taskMayExist, row);
        journal.Outcome.Error.Should().BeSameAs(error);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_query_meeting_the_same_failure_is_retried_when_it_is_transient(string row, bool createRetried, bool taskMayExist, bool queryRetried)
    {
        _ = (createRetried, taskMayExist);
        var (step, connects) = Failure(row);
        var transport = new Transport(step, connects);

        var error = (await Client(transport).Invoking(c => c.GetTaskRecordAsync("t1", CancellationToken.None)).Should().ThrowAsync<KlingApiException>(row)).Which;

        transport.Attempts.Should().Be(queryRetried ? 1 + Fast.MaxRetries : 1, row);
        error.TaskMayExist.Should().BeFalse($"{row}: only a createTask can create a task");
    }

    [Fact]
    public async Task A_502_with_body_code_429_is_sent_once_may_exist_and_is_not_retryable()
    {
        var transport = new Transport(Json("""{"code":429,"msg":"slow down"}""", HttpStatusCode.BadGateway));

        var error = (await Client(transport).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        transport.Attempts.Should().Be(1);
        error.HttpStatus.Should().Be(502);
        error.TaskMayExist.Should().BeTrue();
        error.IsRetryable.Should().BeFalse();
        error.Message.Should().NotContain("nothing was created");
    }

    [Fact]
    public async Task A_created_task_reaches_the_journal_with_its_id_after_one_sending_call()
    {
        var transport = new Transport(Json("""{"code":200,"msg":"success","data":{"taskId":"task_42"}}"""));
        var journal = new RecordingJournal();
        var request = Request();

        var created = await Client(transport, journal).CreateTaskAsync(request, CancellationToken.None);

        created.Data!.TaskId.Should().Be("task_42");
        journal.Calls.Should().Equal("creating", "sending", "completed");
        journal.Outcome!.TaskId.Should().Be("task_42");
        journal.Outcome.TaskMayExist.Should().BeFalse();
    }

    [Fact]
    public async Task A_journal_that_cannot_record_a_created_task_never_loses_its_id()
    {
        var transport = new Transport(Json("""{"code":200,"msg":"success","data":{"taskId":"task_paid"}}"""));
        var journal = new FailingJournal();

        var error = (await Client(transport, journal).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.TaskId.Should().Be("task_paid");
        error.TaskMayExist.Should().BeTrue();
        error.IsRetryable.Should().BeFalse();
        error.InnerException.Should().BeOfType<IOException>();
        error.Message.Should().Contain("task_paid").And.Contain("do not submit again");
    }

    [Fact]
    public async Task A_createTask_prevented_before_its_body_left_sends_nothing_and_is_surely_nothing()
    {
        var transport = new Transport(Json("""{"code":200,"msg":"success","data":{"taskId":"never"}}"""));
        var journal = new PreventingJournal();

        var error = await Client(transport, journal).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<Exception>();

        transport.BodiesReceived.Should().Be(0);
        journal.Outcome!.SurelyNothingCreated.Should().BeTrue();
        journal.Outcome.Error.Should().BeSameAs(error.Which);
        (error.Which is KlingApiException { TaskMayExist: false } or OperationCanceledException).Should().BeTrue(error.Which.GetType().Name);
    }

    [Fact]
    public async Task A_timeout_is_a_KlingApiException_of_kind_Timeout_with_the_same_fields()
    {
        var transport = new Transport(Hang());

        var error = (await Client(transport).Invoking(c => c.CreateTaskAsync(Request(), CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Timeout);
        error.TaskMayExist.Should().BeTrue();
        error.IsRetryable.Should().BeFalse();
        error.Message.Should().Contain("may or may not have been created");
    }

    private sealed class FailingJournal : IKlingCreateTaskJournal
    {
        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken) =>
            outcome.Created ? throw new IOException("disk full") : ValueTask.CompletedTask;
    }

    private sealed class PreventingJournal : IKlingCreateTaskJournal
    {
        public KlingCreateTaskOutcome? Outcome { get; private set; }

        public ValueTask CreatingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken)
        {
            submission.TryPreventSending().Should().BeTrue();
            return ValueTask.CompletedTask;
        }

        public ValueTask SendingAsync(KlingCreateTaskSubmission submission, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CompletedAsync(KlingCreateTaskSubmission submission, KlingCreateTaskOutcome outcome, CancellationToken cancellationToken)
        {
            Outcome = outcome;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Gives its bytes, then fails as a connection cut mid-body does.</summary>
    private sealed class BreakingStream(byte[] head) : ReadOnlyTestStream
    {
        private int _position;

        protected override long BytesRead => _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= head.Length)
            {
                throw new IOException("The response ended prematurely.");
            }

            var n = Math.Min(count, head.Length - _position);
            head.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }
    }
}
