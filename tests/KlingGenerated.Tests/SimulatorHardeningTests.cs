using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// The simulator's order of checks (issue 8, finding 23), its memory bounds (finding 22), its control endpoints
/// (issue 10 §2, issue 12's accepted-at timestamps) and its state file (issue 11), each through HTTP as a port sees it.
/// </summary>
public sealed class SimulatorHardeningTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    private static async Task<(HttpStatusCode Status, JObject Body)> SendAsync(KlingSimulator simulator, HttpMethod method, string path, string? body = null, string? authorization = null, string? fault = null, HttpContent? content = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, new Uri(simulator.BaseUrl, path.TrimStart('/')));
        request.Headers.TryAddWithoutValidation("Authorization", authorization ?? $"Bearer {simulator.ApiKey}");
        if (fault is not null)
        {
            request.Headers.Add(SimulatorFault.Header, fault);
        }

        request.Content = content ?? (body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // Dates stay text: the exact accepted-at time is compared as the simulator wrote it.
        return (response.StatusCode, text.Length == 0 ? [] : JObject.Load(new Newtonsoft.Json.JsonTextReader(new StringReader(text)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None }));
    }

    private static Task<(HttpStatusCode Status, JObject Body)> CreateAsync(KlingSimulator simulator, string prompt = "a boat", string? authorization = null) =>
        SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", $$$"""{"model":"{{{Model}}}","input":{"prompt":"{{{prompt}}}"}}""", authorization);

    private static async Task<long> CreditsAsync(KlingSimulator simulator) => (long)(await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit")).Body["data"]!;

    // ---- the order of checks ----

    [Theory]
    [InlineData($$$"""{"model":"{{{Model}}}","model":"{{{Model}}}","input":{"prompt":"a boat"}}""", "model")]
    [InlineData($$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat","prompt":"a ship"}}""", "input.prompt")]
    public async Task a_body_with_a_duplicated_key_gets_422_naming_it_and_charges_nothing_and_creates_nothing(string body, string key)
    {
        await using var simulator = await KlingSimulator.StartAsync();
        var credits = await CreditsAsync(simulator);

        var (status, answer) = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", body);

        status.Should().Be(HttpStatusCode.OK);
        ((int)answer["code"]!).Should().Be(422);
        ((string)answer["msg"]!).Should().Contain($"'{key}'");
        (await CreditsAsync(simulator)).Should().Be(credits, "nothing is charged before the body is parsed and validated");
        simulator.TaskCount.Should().Be(0);
    }

    [Fact]
    public async Task an_unauthenticated_request_gets_401_and_never_the_fault_it_asked_for()
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var (status, answer) = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit", authorization: "Bearer not-the-key", fault: "drop");
        var noKey = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit", authorization: string.Empty, fault: "maintenance");

        status.Should().Be(HttpStatusCode.OK, "the connection was answered, not dropped");
        ((int)answer["code"]!).Should().Be(401);
        ((int)noKey.Body["code"]!).Should().Be(401);
        simulator.FaultsInjected.Should().Be(0);
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    [InlineData("Bearer")]
    public async Task the_Bearer_scheme_is_accepted_in_any_case(string scheme)
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var (_, answer) = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit", authorization: $"{scheme} {simulator.ApiKey}");

        ((int)answer["code"]!).Should().Be(200);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task an_empty_accepted_key_is_refused_unless_authentication_is_disabled_explicitly(string? key)
    {
        var refused = await FluentActions.Invoking(() => KlingSimulator.StartAsync(new KlingSimulatorOptions { AcceptedApiKey = key })).Should().ThrowAsync<ArgumentException>();
        refused.WithMessage("*AcceptedApiKey*DisableAuthentication*");

        await using var open = await KlingSimulator.StartAsync(new KlingSimulatorOptions { AcceptedApiKey = key, DisableAuthentication = true });
        var anyKey = await CreateAsync(open, authorization: "Bearer whatever");
        var otherKey = await SendAsync(open, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={anyKey.Body["data"]!["taskId"]}", authorization: "Bearer someone-else");
        ((int)anyKey.Body["code"]!).Should().Be(200);
        ((int)otherKey.Body["code"]!).Should().Be(404, "each key still sees only its own tasks");
    }

    // ---- memory ----

    [Fact]
    public async Task A_body_over_the_cap_gets_HTTP_413_with_the_documented_code_422_whether_its_length_is_declared_or_chunked_and_creates_nothing()
    {
        await using var simulator = await KlingSimulator.StartAsync();
        var big = $$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat"},"padding":"{{{new string('x', 1024 * 1024)}}}"}""";

        var declared = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", big);
        var chunked = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", content: new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });

        new KlingSimulatorOptions().MaxRequestBodyBytes.Should().BeLessThan(30_000_000 / 100, "well below Kestrel's 30 MB");
        declared.Status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        ((int)declared.Body["code"]!).Should().Be(422, "the body carries a code the document lists: a validation error, nothing created");
        chunked.Status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        simulator.TaskCount.Should().Be(0);
    }

    [Fact]
    public async Task unknown_fields_are_not_kept_in_the_stored_request()
    {
        await using var simulator = await KlingSimulator.StartAsync();
        var body = $$$"""{"model":"{{{Model}}}","extra":"{{{new string('x', 20_000)}}}","input":{"prompt":"a boat","cfg_scale":0.5,"unknown":[1,2,3]}}""";

        var created = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", body);
        var record = await SendAsync(simulator, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={created.Body["data"]!["taskId"]}");

        var param = JObject.Parse((string)record.Body["data"]!["param"]!);
        JToken.DeepEquals(param, JObject.Parse($$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat","cfg_scale":0.5}}""")).Should().BeTrue(param.ToString());
        simulator.CreatedTasks.Single().Value.Length.Should().BeLessThan(200);
    }

    [Fact]
    public async Task a_task_expires_after_the_retention_period_and_is_then_not_found_and_not_held()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { TimeProvider = clock, TaskRetention = TimeSpan.FromHours(1) });
        var taskId = (string)(await CreateAsync(simulator)).Body["data"]!["taskId"]!;

        clock.Advance(TimeSpan.FromMinutes(59));
        var before = await SendAsync(simulator, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}");
        clock.Advance(TimeSpan.FromMinutes(2));
        var after = await SendAsync(simulator, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}");

        new KlingSimulatorOptions().TaskRetention.Should().Be(TimeSpan.FromHours(24), "like the service's result URLs");
        ((int)before.Body["code"]!).Should().Be(200);
        ((int)after.Body["code"]!).Should().Be(404);
        simulator.TaskCount.Should().Be(0, "the sweep dropped it");
        (await CreditsAsync(simulator)).Should().Be(new KlingSimulatorOptions().Credits - 42, "an expired task was still paid for");
    }

    [Fact]
    public async Task a_finished_callback_is_not_held_in_memory()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
        {
            WaitingFor = TimeSpan.Zero, QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.Zero, CallbackAttempts = 1,
        });
        for (var i = 0; i < 20; i++)
        {
            await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", $$$"""{"model":"{{{Model}}}","callBackUrl":"http://127.0.0.1:{{{port}}}/cb","input":{"prompt":"p{{{i}}}"}}""");
        }

        await simulator.CallbacksDrainedAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (simulator.CallbacksInFlight > 0 && !patience.IsCancellationRequested)
        {
            await Task.Delay(10);
        }

        simulator.CallbackAttempts.Should().Be(20);
        simulator.CallbacksInFlight.Should().Be(0, "a delivery that ended forgets its Task");
    }

    // ---- Issue 10 §2 and issue 12: control endpoints ----

    [Fact]
    public async Task Control_health_gives_the_simulator_version_and_the_document_version_and_SHA256_of_the_spec_file()
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var (status, health) = await SendAsync(simulator, HttpMethod.Get, "_simulator/health");

        status.Should().Be(HttpStatusCode.OK);
        ((string)health["specSha256"]!).Should().Be(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Repo.SpecPath))));
        ((string)health["specVersion"]!).Should().Be((string)Repo.Spec["info"]!["version"]!);
        ((string)health["simulatorVersion"]!).Should().NotBeNullOrWhiteSpace();
        ((string)health["status"]!).Should().Be("ok");
    }

    [Fact]
    public async Task Control_tasks_lists_each_task_with_its_create_body_state_and_exact_accepted_at_time()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567));
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { TimeProvider = clock });
        var first = (string)(await CreateAsync(simulator, "one")).Body["data"]!["taskId"]!;
        clock.Advance(TimeSpan.FromTicks(3));
        var second = (string)(await CreateAsync(simulator, "two")).Body["data"]!["taskId"]!;

        var (_, list) = await SendAsync(simulator, HttpMethod.Get, "_simulator/tasks");

        var tasks = (JArray)list["tasks"]!;
        tasks.Select(t => (string)t["taskId"]!).Should().Equal(first, second);
        tasks.Select(t => (string)t["request"]!["input"]!["prompt"]!).Should().Equal("one", "two");
        tasks.Select(t => (string)t["state"]!).Should().AllBe("waiting");
        var start = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        tasks.Select(t => (long)t["acceptedAtUnixNanoseconds"]!).Should().Equal((start - DateTimeOffset.UnixEpoch).Ticks * 100, (start.AddTicks(3) - DateTimeOffset.UnixEpoch).Ticks * 100);
        tasks.Select(t => DateTimeOffset.Parse((string)t["acceptedAt"]!, System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(start, start.AddTicks(3));
        tasks.Select(t => (long)t["createdAt"]!).Should().Equal(start.ToUnixTimeMilliseconds(), start.AddTicks(3).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Control_tasks_accepted_times_let_a_test_check_every_sliding_rate_window()
    {
        var window = TimeSpan.FromMilliseconds(500);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 4, RateLimitWindow = window });
        var answers = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            answers.Add((int)(await CreateAsync(simulator, $"p{i}")).Body["code"]!);
        }

        var (_, list) = await SendAsync(simulator, HttpMethod.Get, "_simulator/tasks");

        var accepted = list["tasks"]!.Select(t => (long)t["acceptedAtUnixNanoseconds"]!).Order().ToList();
        var windowNanos = (long)((double)list["rateLimit"]!["windowMilliseconds"]! * 1_000_000);
        var busiest = accepted.Max(start => accepted.Count(t => t >= start && t < start + windowNanos));
        ((int)list["rateLimit"]!["tasks"]!).Should().Be(4);
        accepted.Should().HaveCount(answers.Count(code => code == 200), "every accepted create is listed, and only those");
        busiest.Should().BeLessThanOrEqualTo(4, "no window of the simulator's own width holds more than its limit");
        ((long)list["rateLimited"]!).Should().Be(answers.Count(code => code == 429));
    }

    [Fact]
    public async Task Control_reset_forgets_every_task_and_restores_the_credits()
    {
        await using var simulator = await KlingSimulator.StartAsync();
        var credits = await CreditsAsync(simulator);
        var taskId = (string)(await CreateAsync(simulator)).Body["data"]!["taskId"]!;

        var (status, _) = await SendAsync(simulator, HttpMethod.Post, "_simulator/reset");

        status.Should().Be(HttpStatusCode.OK);
        simulator.TaskCount.Should().Be(0);
        (await CreditsAsync(simulator)).Should().Be(credits);
        ((int)(await SendAsync(simulator, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}")).Body["code"]!).Should().Be(404);
        ((JArray)(await SendAsync(simulator, HttpMethod.Get, "_simulator/tasks")).Body["tasks"]!).Should().BeEmpty();
    }

    [Theory]
    [InlineData("GET", "_simulator/health")]
    [InlineData("GET", "_simulator/tasks")]
    [InlineData("POST", "_simulator/reset")]
    public async Task Control_endpoints_refuse_a_request_without_the_API_key(string method, string path)
    {
        await using var simulator = await KlingSimulator.StartAsync();
        await CreateAsync(simulator);

        var (status, answer) = await SendAsync(simulator, new HttpMethod(method), path, authorization: "Bearer wrong");

        status.Should().Be(HttpStatusCode.Unauthorized);
        ((string)answer["error"]!).Should().Contain("API key");
        simulator.TaskCount.Should().Be(1, "a refused reset erased nothing");
    }

    // ---- Issue 11: the state file ----

    [Fact]
    public async Task StateFile_tasks_survive_a_restart_and_their_timing_continues_from_their_real_creation_time()
    {
        var path = Path.Combine(KlingProcess.NewDirectory(), "state", "simulator.json");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new KlingSimulatorOptions { TimeProvider = clock, StateFile = path, AcceptedApiKey = "secret-key-123" };
        string taskId;
        long createTime;
        await using (var first = await KlingSimulator.StartAsync(options))
        {
            taskId = (string)(await CreateAsync(first)).Body["data"]!["taskId"]!;
            createTime = (long)(await SendAsync(first, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}")).Body["data"]!["createTime"]!;
        }

        var stored = await File.ReadAllTextAsync(path);
        clock.Advance(SimulatedTask.Duration(options));
        await using var second = await KlingSimulator.StartAsync(options);
        var record = (await SendAsync(second, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}")).Body["data"]!;

        stored.Should().Contain(taskId).And.NotContain("secret-key-123", "the state file holds no API key");
        ((string)record["state"]!).Should().Be("success", "the restored task ran on while the simulator was down");
        ((long)record["createTime"]!).Should().Be(createTime);
        (await CreditsAsync(second)).Should().Be(options.Credits - 42, "the charge survived too");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Should().BeEquivalentTo(["simulator.json", "simulator.json.lock"], "no temporary file is left");
    }

    [Fact]
    public async Task StateFile_two_simulators_sharing_one_file_see_each_others_tasks()
    {
        var path = Path.Combine(KlingProcess.NewDirectory(), "simulator.json");
        await using var a = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path });
        await using var b = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path });

        var fromA = (string)(await CreateAsync(a, "from a")).Body["data"]!["taskId"]!;
        var fromB = (string)(await CreateAsync(b, "from b")).Body["data"]!["taskId"]!;

        ((int)(await SendAsync(b, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={fromA}")).Body["code"]!).Should().Be(200);
        ((int)(await SendAsync(a, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={fromB}")).Body["code"]!).Should().Be(200);
        File.ReadAllText(path).Should().Contain(fromA).And.Contain(fromB);
    }

    [Fact]
    public async Task StateFile_that_is_not_a_state_file_stops_the_start_with_a_message_naming_it()
    {
        var path = Path.Combine(KlingProcess.NewDirectory(), "simulator.json");
        await File.WriteAllTextAsync(path, "{ half a file");

        var error = await FluentActions.Invoking(() => KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path })).Should().ThrowAsync<InvalidOperationException>();

        error.WithMessage($"*{path}*Move it away*");
        (await File.ReadAllTextAsync(path)).Should().Be("{ half a file", "a bad state file is never overwritten");
    }
}
