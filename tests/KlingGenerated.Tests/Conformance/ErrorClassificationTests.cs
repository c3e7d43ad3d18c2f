using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The document's <c>x-error-classification</c> (on <c>KnownResponseCode</c>) is the one statement of how an answer is
/// classified; the C# client's <see cref="KlingErrorKind"/> mapping and <see cref="KlingApiException"/> must agree with
/// it, answer by answer, through the real client over HTTP.
/// </summary>
[Collection("WireMock")]
public sealed class ErrorClassificationTests(WireMockFixture wireMock)
{
    private static JObject Classification => (JObject)Repo.Spec.SelectToken("components.schemas.KnownResponseCode.x-error-classification")!;

    private static JObject Row(int code) =>
        (JObject?)Classification["codes"]![code.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? (JObject)Classification["unknownCode"]!;

    public static TheoryData<int> Codes() => new(((JObject)Classification["codes"]!).Properties().Select(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Every_known_code_has_a_row_and_every_row_names_a_KlingErrorKind()
    {
        var known = Repo.Spec.SelectToken("components.schemas.KnownResponseCode.enum")!.Values<int>().Where(c => c != 200);
        ((JObject)Classification["codes"]!).Properties().Select(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)).Should().Contain(known);
        foreach (var row in ((JObject)Classification["codes"]!).Properties().Select(p => (JObject)p.Value).Append((JObject)Classification["unknownCode"]!))
        {
            Enum.TryParse<KlingErrorKind>((string)row["kind"]!, out _).Should().BeTrue($"{row["kind"]} is a KlingErrorKind");
            row["retryable"]!.Type.Should().Be(JTokenType.Boolean);
            row["createTaskMayExist"]!.Type.Should().Be(JTokenType.Boolean);
        }

        var rules = (JArray)Classification["rules"]!;
        rules.Select(r => (string)r["id"]!).Should().OnlyHaveUniqueItems().And.Contain(["not-sent", "timeout", "no-answer", "success", "unreadable-success", "http-5xx", "unknown-code"]);
        foreach (var rule in rules)
        {
            ((JObject)rule["when"]!).Properties().Select(p => p.Name).Should().BeSubsetOf(["answer", "body", "httpStatus", "bodyCode", "codeListed", "bodySuccess"], "rule {0} uses only the facts the evaluation defines", rule["id"]);
            var then = (JObject)rule["then"]!;
            if ((string)then["outcome"]! == "error" && then["row"] is null)
            {
                Enum.TryParse<KlingErrorKind>((string)then["kind"]!, out _).Should().BeTrue($"rule {rule["id"]} names a KlingErrorKind");
            }
        }

        ((JObject)rules.Last()["when"]!).Properties().Select(p => p.Name).Should().Equal(["answer"], "the last rule catches every answer, so the walk always decides");
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public async Task A_code_inside_HTTP_200_is_classified_as_its_row_says(int code)
    {
        var row = Row(code);
        var error = await QueryAsync(200, "application/json", Envelope(code));

        error.Kind.ToString().Should().Be((string)row["kind"]!);
        error.Code.Should().Be(code);
        error.IsRetryable.Should().Be((bool)row["retryable"]!, "a query that got {0} may be sent again exactly when the row says", code);
        KlingApiException.KindOf(code, 200).ToString().Should().Be((string)row["kind"]!);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public async Task A_code_sent_as_the_HTTP_status_with_the_envelope_is_classified_as_its_row_says(int code)
    {
        var row = Row(code);
        var error = await QueryAsync(code, "application/json", Envelope(code));

        error.Kind.ToString().Should().Be((string)row["kind"]!);
        error.HttpStatus.Should().Be(code);
        error.IsRetryable.Should().Be((bool)row["retryable"]!);
    }

    [Theory]
    [InlineData(403, "text/plain", "error code: 1010", "Unauthorized")]
    [InlineData(502, "text/html", "<html><body>502 Bad Gateway</body></html>", "ServerError")]
    [InlineData(503, "text/plain", "", "ServerError")]
    [InlineData(200, "application/json", "", "Unknown")]
    [InlineData(200, "application/json", "{\"code\":200,\"msg\":\"succ", "Unknown")]
    public async Task A_body_that_is_not_the_envelope_takes_the_HTTP_status_as_the_non_envelope_rules_say(int status, string contentType, string body, string kind)
    {
        var error = await QueryAsync(status, contentType, body);

        error.Code.Should().Be(status, "without an envelope the effective code is the HTTP status");
        error.Kind.ToString().Should().Be(kind);
        error.IsRetryable.Should().Be(status != 200 && (bool)Row(status)["retryable"]!);
    }

    [Fact]
    public async Task An_HTTP_error_whose_body_says_code_200_takes_the_HTTP_status()
    {
        var error = await QueryAsync(500, "application/json", Envelope(200));

        error.Code.Should().Be(500);
        error.Kind.ToString().Should().Be((string)Row(500)["kind"]!);
    }

    [Theory]
    [InlineData(429, "RateLimited", true)]
    [InlineData(502, "ServerError", true)]
    [InlineData(200, "Unknown", false)]
    public async Task A_code_the_document_does_not_know_is_classified_by_the_HTTP_status(int status, string kind, bool retryable)
    {
        var error = await QueryAsync(status, "application/json", Envelope(599));

        error.Code.Should().Be(599);
        error.Kind.ToString().Should().Be(kind);
        error.IsRetryable.Should().Be(retryable);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public async Task A_createTask_that_got_a_code_may_have_created_a_task_exactly_when_the_row_or_the_HTTP_5xx_rule_says(int code)
    {
        var row = Row(code);
        var inside200 = await CreateAsync(200, "application/json", Envelope(code));
        var asStatus = await CreateAsync(code, "application/json", Envelope(code));

        inside200.TaskMayExist.Should().Be((bool)row["createTaskMayExist"]!, "code {0} inside HTTP 200", code);
        inside200.IsRetryable.Should().Be((bool)row["retryable"]! && !(bool)row["createTaskMayExist"]!, "a createTask is retried only when nothing may exist");
        asStatus.TaskMayExist.Should().Be((bool)row["createTaskMayExist"]! || code >= 500, "code {0} as the HTTP status (http-5xx: any HTTP 5xx)", code);
        asStatus.IsRetryable.Should().Be((bool)row["retryable"]! && !asStatus.TaskMayExist);
    }

    [Theory]
    [InlineData(403, "text/plain", "error code: 1010", false)]
    [InlineData(502, "text/html", "<html><body>502 Bad Gateway</body></html>", true)]
    [InlineData(503, "text/plain", "", true)]
    [InlineData(200, "application/json", "", true)]
    [InlineData(200, "application/json", "[1,2,3]", true)]
    [InlineData(502, "application/json", "{\"code\":429,\"msg\":\"slow down\",\"data\":null}", true)]
    public async Task A_createTask_whose_answer_is_not_a_readable_verdict_may_have_created_a_task_as_the_rules_say(int status, string contentType, string body, bool mayExist)
    {
        var error = await CreateAsync(status, contentType, body);

        error.TaskMayExist.Should().Be(mayExist);
        error.IsRetryable.Should().BeFalse(mayExist ? "a task may exist" : "a blocked request is not retried as is");
    }

    private async Task<KlingApiException> CreateAsync(int status, string contentType, string body)
    {
        var client = wireMock.NewClient();
        wireMock.AnswerRaw("/api/v1/jobs/createTask", body, status, contentType);
        return (await ((Func<Task>)(() => client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "A paper boat." } }, CancellationToken.None)))
            .Should().ThrowExactlyAsync<KlingApiException>()).Which;
    }

    private async Task<KlingApiException> QueryAsync(int status, string contentType, string body)
    {
        var client = wireMock.NewClient();
        wireMock.AnswerRaw("/api/v1/chat/credit", body, status, contentType);
        return (await ((Func<Task>)(() => client.GetRemainingCreditsAsync(CancellationToken.None))).Should().ThrowExactlyAsync<KlingApiException>()).Which;
    }

    private static string Envelope(int code) => $$"""{"code":{{code}},"msg":"from the classification test","data":null}""";
}
