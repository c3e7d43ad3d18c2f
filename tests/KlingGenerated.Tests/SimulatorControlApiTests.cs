using System.Net;
using System.Security.Cryptography;
using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// The simulator as a porter's CI uses it: every answer the document lists can be asked for, the control API answers
/// real 404/405, serves the documents byte for byte and changes faults at run time.
/// </summary>
public sealed class SimulatorControlApiTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    private sealed record Answer(HttpStatusCode Status, string? ContentType, byte[] Bytes, HttpResponseMessage Response)
    {
        public string Text => Encoding.UTF8.GetString(Bytes);

        public JObject Json => JObject.Parse(Text);
    }

    private static async Task<Answer> SendAsync(KlingSimulator simulator, HttpMethod method, string path, string? body = null, string? fault = null, bool authenticated = true)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, new Uri(simulator.BaseUrl, path.TrimStart('/')));
        if (authenticated)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {simulator.ApiKey}");
        }

        if (fault is not null)
        {
            request.Headers.Add(SimulatorFault.Header, fault);
        }

        request.Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        var response = await http.SendAsync(request);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync(), response);
    }

    [Theory]
    [InlineData("status:401", 401, "application/json", 401)]
    [InlineData("status:429", 429, "application/json", 429)]
    [InlineData("status:500", 500, "application/json", 500)]
    [InlineData("status:503", 503, "application/json", 503)]
    [InlineData("code:401", 200, "application/json", 401)]
    [InlineData("code:402", 200, "application/json", 402)]
    [InlineData("code:404", 200, "application/json", 404)]
    [InlineData("code:433", 200, "application/json", 433)]
    [InlineData("code:501", 200, "application/json", 501)]
    [InlineData("code:505", 200, "application/json", 505)]
    [InlineData("legacy-message", 200, "application/json", 401)]
    [InlineData("edge-1010", 403, "text/plain", null)]
    [InlineData("html-502", 502, "text/html", null)]
    [InlineData("empty-503", 503, "text/plain", null)]
    public async Task Every_documented_answer_can_be_asked_for_with_a_fault_and_creates_nothing(string fault, int status, string contentType, int? code)
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var answer = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", $$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat"}}""", fault);

        ((int)answer.Status).Should().Be(status);
        answer.ContentType.Should().Be(contentType);
        if (code is { } expected)
        {
            ((int)answer.Json["code"]!).Should().Be(expected);
            (answer.Json["msg"] ?? answer.Json["message"])!.Type.Should().Be(JTokenType.String);
        }
        else if (fault == "edge-1010")
        {
            answer.Text.Should().Be("error code: 1010");
        }

        simulator.TaskCount.Should().Be(0, "a documented error answer is given before anything is created");
    }

    [Fact]
    public async Task Unknown_paths_answer_HTTP_404_and_known_paths_with_another_method_HTTP_405_with_Allow()
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var unknown = await SendAsync(simulator, HttpMethod.Get, "api/v1/nothing");
        var controlUnknown = await SendAsync(simulator, HttpMethod.Get, "_simulator/nothing");
        var wrongControl = await SendAsync(simulator, HttpMethod.Get, "_simulator/reset");
        var wrongService = await SendAsync(simulator, HttpMethod.Get, "api/v1/jobs/createTask");

        unknown.Status.Should().Be(HttpStatusCode.NotFound);
        ((int)unknown.Json["code"]!).Should().Be(404);
        controlUnknown.Status.Should().Be(HttpStatusCode.NotFound);
        ((string)controlUnknown.Json["error"]!).Should().Contain("control.openapi.yaml");
        wrongControl.Status.Should().Be(HttpStatusCode.MethodNotAllowed);
        wrongControl.Response.Content.Headers.Allow.Should().Equal("POST");
        wrongService.Status.Should().Be(HttpStatusCode.MethodNotAllowed);
        wrongService.Response.Content.Headers.Allow.Should().Equal("POST");
        simulator.TaskCount.Should().Be(0);
    }

    [Fact]
    public async Task The_served_documents_are_the_files_byte_for_byte_and_need_no_key()
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var service = await SendAsync(simulator, HttpMethod.Get, "_simulator/openapi.yaml", authenticated: false);
        var control = await SendAsync(simulator, HttpMethod.Get, "_simulator/control.openapi.yaml", authenticated: false);
        var health = await SendAsync(simulator, HttpMethod.Get, "_simulator/health");

        service.Status.Should().Be(HttpStatusCode.OK);
        service.ContentType.Should().Be("application/yaml");
        service.Bytes.Should().Equal(await File.ReadAllBytesAsync(Repo.SpecPath));
        ((string)health.Json["specSha256"]!).Should().Be(Convert.ToHexStringLower(SHA256.HashData(service.Bytes)));
        control.Bytes.Should().Equal(await File.ReadAllBytesAsync(Path.Combine(Repo.Root, "openapi", "simulator-control.openapi.yaml")));
    }

    [Fact]
    public async Task A_fault_set_at_run_time_applies_to_every_request_until_cleared_and_a_wrong_one_changes_nothing()
    {
        await using var simulator = await KlingSimulator.StartAsync();

        var set = await SendAsync(simulator, HttpMethod.Put, "_simulator/fault", """{"fault":"status:401"}""");
        var during = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit");
        var wrong = await SendAsync(simulator, HttpMethod.Put, "_simulator/fault", """{"fault":"no-such-fault"}""");
        var still = await SendAsync(simulator, HttpMethod.Get, "_simulator/fault");
        var unauthenticated = await SendAsync(simulator, HttpMethod.Delete, "_simulator/fault", authenticated: false);
        var cleared = await SendAsync(simulator, HttpMethod.Delete, "_simulator/fault");
        var after = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit");

        set.Status.Should().Be(HttpStatusCode.OK);
        ((string)set.Json["fault"]!).Should().Be("status:401");
        during.Status.Should().Be(HttpStatusCode.Unauthorized);
        wrong.Status.Should().Be(HttpStatusCode.BadRequest);
        ((string)wrong.Json["error"]!).Should().Contain("no-such-fault");
        ((string)still.Json["fault"]!).Should().Be("status:401");
        unauthenticated.Status.Should().Be(HttpStatusCode.Unauthorized);
        cleared.Json["fault"]!.Type.Should().Be(JTokenType.Null);
        after.Status.Should().Be(HttpStatusCode.OK);
        ((int)after.Json["code"]!).Should().Be(200);
    }

    [Fact]
    public async Task A_failed_task_reports_the_credits_the_balance_lost()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { TimeProvider = clock, Credits = 1000, CreditsPerTask = 42 });

        var created = await SendAsync(simulator, HttpMethod.Post, "api/v1/jobs/createTask", $$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat"}}""", "generation-failed");
        clock.Advance(TimeSpan.FromMinutes(1));
        var record = await SendAsync(simulator, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={created.Json["data"]!["taskId"]}");
        var credits = await SendAsync(simulator, HttpMethod.Get, "api/v1/chat/credit");

        ((string)record.Json["data"]!["state"]!).Should().Be("fail");
        ((long)record.Json["data"]!["creditsConsumed"]!).Should().Be(1000 - (long)credits.Json["data"]!);
    }
}
