using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// Every response vector played through both real pipelines (<c>AddKlingClient</c> and <c>new KlingClient(options)</c>),
/// as the operation it names and as a createTask: the retry handler sends the request again exactly when the vector's
/// verdict says it may (for a createTask: retryable and no task may exist), and the outcome the caller gets is the
/// vector's. So the retry handler is checked against the document, not only the error mapping.
/// </summary>
public sealed class PipelineVectorTests
{
    private const string Credits = """{"code":200,"msg":"success","data":100}""";
    private const string Created = """{"code":200,"msg":"success","data":{"taskId":"task_kling_1765184398475"}}""";

    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (var vector in ConformanceVectors.All("responses"))
        {
            var id = (string)vector["id"]!;
            // A success answers only its own operation (a credits body is no createTask success); every error answers both.
            var asCreateTask = (string)vector["expect"]!["outcome"]! == "error" && (string)vector["operation"]! != "CreateTask";
            foreach (var pipeline in new[] { "AddKlingClient", "new KlingClient(options)" })
            {
                cases.Add(id, pipeline, "named");
                if (asCreateTask)
                {
                    cases.Add(id, pipeline, "CreateTask");
                }
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_response_vector_is_retried_and_reported_through_the_real_pipeline_as_the_document_says(string id, string pipeline, string asOperation)
    {
        var vector = ConformanceVectors.Get("responses", id);
        var http = (JObject)vector["http"]!;
        var expect = (JObject)vector["expect"]!;
        var operation = asOperation == "CreateTask" ? "CreateTask" : (string)vector["operation"]!;
        var creates = operation == "CreateTask";
        var success = (string)expect["outcome"]! == "success";
        var mayExist = !success && creates && (bool)expect["createTaskMayExist"]!;
        var retried = !success && (bool)expect["retryable"]! && !mayExist;

        // The vector's answer first, then a success: a retry shows as a second request and a call that succeeds.
        await using var server = HostileServer.Start(HostileServer.Sequence(Answer(http), HostileServer.Answer(200, creates ? Created : Credits)));
        var error = await CallAsync(pipeline, server.BaseUrl, operation, maxRetries: 6);

        server.Requests.Should().HaveCount(retried ? 2 : 1, "{0} as {1} through {2}", id, operation, pipeline);
        if (success || retried)
        {
            error.Should().BeNull();
        }

        if (success)
        {
            return;
        }

        // The attempt's own outcome, with retries off: what the caller gets when they run out.
        await using var once = HostileServer.Start(Answer(http));
        var outcome = (await CallAsync(pipeline, once.BaseUrl, operation, maxRetries: 0)).Should().BeOfType<KlingApiException>().Subject;
        outcome.Kind.ToString().Should().Be((string)expect["kind"]!);
        outcome.Code.Should().Be((int)expect["code"]!);
        outcome.HttpStatus.Should().Be((int)expect["httpStatus"]!);
        outcome.TaskMayExist.Should().Be(mayExist);
        outcome.IsRetryable.Should().Be(creates ? (bool)expect["retryable"]! && !mayExist : (bool)expect["retryable"]!);
        outcome.Outcome.OperationId.Should().Be(operation);
        outcome.Outcome.IsBillable.Should().Be(creates);
        if (expect["retryAfterSeconds"] is { } wait)
        {
            outcome.RetryAfter.Should().Be(TimeSpan.FromSeconds((int)wait));
        }

        if (!creates)
        {
            outcome.Message.Should().NotContainAny(["charged", "no task was created"], "a query's failure says nothing about charges");
        }
    }

    private static Func<HostileExchange, Task> Answer(JObject http)
    {
        var headers = new List<(string, string)> { ("Content-Type", (string?)http["contentType"] ?? "application/json") };
        headers.AddRange(((JObject?)http["headers"])?.Properties().Select(p => (p.Name, (string)p.Value!)) ?? []);
        return HostileServer.Answer((int)http["status"]!, (string?)http["body"] ?? string.Empty, [.. headers]);
    }

    private static async Task<Exception?> CallAsync(string pipeline, Uri baseUrl, string operation, int maxRetries)
    {
        void Configure(KlingClientOptions o)
        {
            o.ApiKey = "vector-" + Guid.NewGuid();
            o.BaseUrl = baseUrl;
            o.Resilience.MaxRetries = maxRetries;
            o.Resilience.BaseDelay = TimeSpan.FromMilliseconds(1);
            o.Resilience.MaxDelay = TimeSpan.FromMilliseconds(5);
        }

        ServiceProvider? provider = null;
        IKlingClient client;
        if (pipeline == "AddKlingClient")
        {
            var services = new ServiceCollection();
            services.AddKlingClient(Configure);
            provider = services.BuildServiceProvider();
            client = provider.GetRequiredService<IKlingClient>();
        }
        else
        {
            var options = new KlingClientOptions();
            Configure(options);
            client = new KlingClient(options);
        }

        try
        {
            if (operation == "CreateTask")
            {
                await client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "A paper boat." } }, CancellationToken.None);
            }
            else
            {
                await client.GetRemainingCreditsAsync(CancellationToken.None);
            }

            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
        finally
        {
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }
        }
    }
}
