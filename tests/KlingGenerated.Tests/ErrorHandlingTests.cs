using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Odd answers the service and its edge really send, each pinned to one KlingApiException.</summary>
[Collection("WireMock")]
public sealed class ErrorHandlingTests(WireMockFixture wireMock)
{
    private const string Credit = "/api/v1/chat/credit";

    private async Task<KlingApiException> FailingCredits()
    {
        var client = wireMock.NewClient();
        return (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;
    }

    // Kind, code, HTTP status and retryability of these answers are the response vectors
    // (Conformance/ResponseVectorTests.cs); here, what the message says about them.
    private async Task<KlingApiException> FailingWith(string vectorId)
    {
        var http = (JObject)Conformance.ConformanceVectors.Get("responses", vectorId)["http"]!;
        var client = wireMock.NewClient();
        wireMock.AnswerRaw(Credit, (string)http["body"]!, (int)http["status"]!, (string)http["contentType"]!, (string?)http["headers"]?["Retry-After"]);
        return (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;
    }

    [Fact]
    public async Task An_HTML_502_from_the_CDN_says_so_in_a_clear_message()
    {
        (await FailingWith("html-502")).Message.Should().Contain("HTTP 502").And.Contain("HTML page");
    }

    [Fact]
    public async Task A_plain_text_403_error_1010_from_the_edge_says_to_send_a_User_Agent()
    {
        (await FailingWith("edge-1010")).Message.Should().Contain("error code: 1010").And.Contain("User-Agent");
    }

    [Theory]
    [InlineData("empty-200", "an empty body")]
    [InlineData("truncated-json-200", "an unreadable body")]
    [InlineData("json-null-200", "an unreadable body")]
    [InlineData("json-array-200", "an unreadable body")]
    [InlineData("no-code-200", "an unreadable body")]
    public async Task An_HTTP_200_that_is_not_the_envelope_says_what_came_instead(string vectorId, string expected)
    {
        (await FailingWith(vectorId)).Message.Should().Contain(expected);
    }

    [Fact]
    public async Task A_429_with_Retry_After_says_how_long_to_wait()
    {
        (await FailingWith("rate-limited-retry-after")).Message.Should().Contain("wait 7 s");
    }

    [Fact]
    public async Task A_success_envelope_with_data_of_the_wrong_type_becomes_a_KlingApiException_not_a_JsonException()
    {
        var client = wireMock.NewClient();
        wireMock.Answer("/api/v1/jobs/recordInfo", JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":{"nested":true},"state":"success"}}"""));

        var error = (await client.Invoking(c => c.GetTaskRecordAsync("t1", CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("openapi/kling.openapi.yaml");
        error.InnerException.Should().BeAssignableTo<Newtonsoft.Json.JsonException>();
    }

    [Fact]
    public async Task A_body_larger_than_the_cap_is_refused_without_reading_it_all()
    {
        var client = wireMock.NewClient(o => o.MaxResponseBytes = 4096);
        wireMock.AnswerRaw(Credit, "{\"code\":200,\"msg\":\"" + new string('x', 10_000) + "\",\"data\":1}", 200, "application/json");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("MaxResponseBytes");
    }

    [Fact]
    public async Task A_task_state_the_document_does_not_list_does_not_throw_and_stays_visible()
    {
        var client = wireMock.NewClient();
        wireMock.Answer("/api/v1/jobs/recordInfo", JObject.Parse(
            """{"code":200,"msg":"success","brandNew":1,"data":{"taskId":"t1","state":"paused","futureField":{"x":1}}}"""));

        var record = (await client.GetTaskRecordAsync("t1", CancellationToken.None)).Data!;

        record.State.Should().BeNull();
        record.RawState.Should().Be("paused");
        record.State.IsTerminal().Should().BeFalse("an unknown state counts as still running");
        record.AdditionalProperties.Should().ContainKey("futureField");
    }

    [Fact]
    public async Task The_API_key_never_appears_in_an_exception_message_or_ToString()
    {
        var client = wireMock.NewClient();
        wireMock.Answer(Credit, JObject.Parse("""{"code":401,"msg":"You do not have access permissions"}"""));

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.ToString().Should().NotContain(WireMockFixture.ApiKey);
        client.Options.ToString().Should().NotContain(WireMockFixture.ApiKey).And.Contain("redacted");
        wireMock.Requests.Single().RequestMessage.Headers!["Authorization"].Single().Should().EndWith(WireMockFixture.ApiKey, "the key is sent, only never printed");
    }
}
