using System.Net;
using System.Text;
using KlingGenerated.Cli;
using KlingGenerated.Cli.Ledger;
using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// A paid task id is never lost: when the ledger cannot record the answer (another writer holds its lock while the
/// createTask is in flight), the id still comes back to the command, which prints it and puts it in --json with
/// taskMayExist true; a batch line shows it and the batch goes on. A createTask stopped before its body left is "not sent".
/// </summary>
public sealed class PaidIdTests
{
    /// <summary>Reads each body as a connection does, runs <paramref name="onBody"/>, then answers a created task.</summary>
    private sealed class Service(Action onBody, string taskId = "task_paid_1") : HttpMessageHandler
    {
        public int Bodies;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await request.Content!.CopyToAsync(Stream.Null, cancellationToken);
            Interlocked.Increment(ref Bodies);
            onBody();
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"" + taskId + "\"}}", Encoding.UTF8, "application/json"),
            };
        }
    }

    private static KlingClient Client(HttpMessageHandler service) =>
        new(new HttpClient(service), new KlingClientOptions { ApiKey = "k", BaseUrl = new Uri("http://paid.invalid/"), CreateTaskJournal = LedgerJournal.Shared });

    private static CreateTaskRequest Request() => new() { Input = new CreateTaskInput { Prompt = "a paid boat" } };

    [Fact]
    public async Task A_ledger_write_locked_by_another_writer_during_the_request_still_hands_back_and_reports_the_task_id()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kling-paid-").FullName, "tasks.db");
        using var ledger = TaskLedger.Open(path, TimeSpan.FromMilliseconds(200));
        // Another writer (its own connection, as another kling process would have) takes the write lock while the request is in flight.
        using var other = new SqliteConnection($"Data Source={path};Pooling=False");
        other.Open();
        SqliteTransaction? held = null;
        var service = new Service(() => held = other.BeginTransaction(deferred: false));
        var id = ledger.RecordQueued("paid", LedgeredCreate.Serialize(Request()));

        var result = await LedgeredCreate.TryCreateRecordedAsync(ledger, id, Client(service), Request(), CancellationToken.None);
        held!.Rollback();

        service.Bodies.Should().Be(1);
        result.Outcome.Should().Be("unrecorded");
        result.TaskId.Should().Be("task_paid_1");
        result.Error!.Message.Should().Contain("task_paid_1").And.Contain("could not record it").And.Contain("kling wait task_paid_1");

        var context = new CommandContext(null, TextWriter.Null, TextWriter.Null, CancellationToken.None) { Stage = CommandStage.Submitting };
        var failure = ExitCodes.Describe(result.Error, context);
        var json = (JObject)JObject.Parse(failure.ToJson())["error"]!;
        ((string?)json["taskId"]).Should().Be("task_paid_1", "--json carries the paid id");
        ((bool?)json["taskMayExist"]).Should().BeTrue();
        failure.Message.Should().Contain("task_paid_1", "stderr names the paid id");
        ledger.Find("task_paid_1").Should().BeNull("the ledger really could not record it");
    }

    [Fact]
    public async Task A_createTask_cancelled_before_its_body_left_is_recorded_as_not_sent()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kling-paid-").FullName, "tasks.db");
        using var ledger = TaskLedger.Open(path);
        using var cancel = new CancellationTokenSource();
        var service = new Service(() => { });
        var pacer = new BlockingPacer(cancel);
        var client = new KlingClient(
            new HttpClient(new KlingResilienceHandler(new KlingResilienceOptions(), pacer) { InnerHandler = service }),
            new KlingClientOptions { ApiKey = "k", BaseUrl = new Uri("http://paid.invalid/"), CreateTaskJournal = LedgerJournal.Shared });
        var id = ledger.RecordQueued("paid", LedgeredCreate.Serialize(Request()));

        var result = await LedgeredCreate.TryCreateRecordedAsync(ledger, id, client, Request(), cancel.Token);

        service.Bodies.Should().Be(0);
        result.Outcome.Should().Be("not-sent");
        ledger.List("not-sent", null).Should().ContainSingle().Which.Message.Should().StartWith("not sent:");
        ledger.List("rejected", null).Should().BeEmpty();
    }

    /// <summary>Holds every createTask at the pacing step, and cancels the caller there (Ctrl+C while waiting for a permit).</summary>
    private sealed class BlockingPacer(CancellationTokenSource caller) : IKlingCreateTaskPacer
    {
        public async ValueTask<System.Threading.RateLimiting.RateLimitLease> AcquireAsync(CancellationToken cancellationToken)
        {
            await caller.CancelAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
