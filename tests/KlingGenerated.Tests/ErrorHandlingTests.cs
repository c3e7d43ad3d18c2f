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

    [Fact]
    public async Task An_HTML_502_from_the_CDN_becomes_a_retryable_server_error_with_a_clear_message()
    {
        var client = wireMock.NewClient();
        wireMock.AnswerRaw(Credit, "<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "text/html");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.ServerError);
        error.Code.Should().Be(502);
        error.IsRetryable.Should().BeTrue();
        error.Message.Should().Contain("HTTP 502").And.Contain("HTML page");
    }

    [Fact]
    public async Task A_plain_text_403_error_1010_from_the_edge_says_to_send_a_User_Agent()
    {
        var client = wireMock.NewClient();
        wireMock.AnswerRaw(Credit, "error code: 1010", 403, "text/plain");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Unauthorized);
        error.HttpStatus.Should().Be(403);
        error.Message.Should().Contain("error code: 1010").And.Contain("User-Agent");
    }

    [Theory]
    [InlineData("", "an empty body")]
    [InlineData("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\"", "not its JSON envelope")]
    [InlineData("null", "not its JSON envelope")]
    [InlineData("[1,2,3]", "not its JSON envelope")]
    [InlineData("{\"msg\":\"no code at all\"}", "not its JSON envelope")]
    public async Task An_HTTP_200_that_is_not_the_envelope_becomes_a_KlingApiException(string body, string expected)
    {
        var client = wireMock.NewClient();
        wireMock.AnswerRaw(Credit, body, 200, "application/json");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Unknown);
        error.Message.Should().Contain(expected);
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
    public async Task A_429_with_Retry_After_carries_the_wait_and_is_retryable()
    {
        var client = wireMock.NewClient();
        wireMock.Answer(Credit, JObject.Parse("""{"code":429,"msg":"The request frequency is too high","data":null}"""), status: 429, retryAfter: "7");

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.RateLimited);
        error.RetryAfter.Should().Be(TimeSpan.FromSeconds(7));
        error.IsRetryable.Should().BeTrue();
        error.Message.Should().Contain("wait 7 s");
    }

    [Fact]
    public async Task The_older_message_field_is_read_when_msg_is_absent()
    {
        var client = wireMock.NewClient();
        wireMock.Answer(Credit, JObject.Parse("""{"code":402,"message":"Credits insufficient"}"""));

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowExactlyAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.InsufficientCredits);
        error.ServerMessage.Should().Be("Credits insufficient");
        error.IsRetryable.Should().BeFalse();
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
