using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>The generated client against the examples documented in openapi/kling.openapi.yaml, read at test time.</summary>
[Collection("WireMock")]
public sealed class ContractTests(WireMockFixture wireMock)
{
    private const string CreateTask = "/api/v1/jobs/createTask";
    private const string RecordInfo = "/api/v1/jobs/recordInfo";
    private const string Credit = "/api/v1/chat/credit";
    private const string DownloadUrl = "/api/v1/common/download-url";

    private static JObject SeedRequestExample => Repo.Examples($"$.paths['{CreateTask}'].post.requestBody.content['application/json'].examples")["seed"];

    [Fact]
    public async Task The_seed_request_built_through_the_typed_model_arrives_json_equal_to_the_documented_example()
    {
        var example = (JObject)SeedRequestExample["value"]!;
        var input = (JObject)example["input"]!;
        var client = wireMock.NewClient();
        wireMock.Answer(CreateTask, Repo.ResponseExamples(CreateTask, "post")["seed"]["value"]!);

        var response = await client.CreateTaskAsync(new CreateTaskRequest
        {
            CallBackUrl = new Uri((string)example["callBackUrl"]!),
            Input = new CreateTaskInput
            {
                Prompt = (string)input["prompt"]!,
                Duration = VideoDuration.FiveSeconds,
                AspectRatio = AspectRatio.Landscape16x9,
                NegativePrompt = (string)input["negative_prompt"]!,
                CfgScale = (double)input["cfg_scale"]!,
            },
        }, CancellationToken.None);

        var sent = wireMock.Requests.Should().ContainSingle().Subject.RequestMessage;
        sent.Method.Should().Be("POST");
        sent.Path.Should().Be(CreateTask);
        JToken.DeepEquals(JToken.Parse(sent.Body!), example).Should().BeTrue("the body sent was {0}", sent.Body);
        sent.Headers!["Authorization"].Should().Equal($"Bearer {WireMockFixture.ApiKey}");
        sent.Headers["User-Agent"].Single().Should().MatchRegex(@"^KlingGenerated/\d+\.\d+\.\d+");
        response.Data!.TaskId.Should().Be((string)Repo.ResponseExamples(CreateTask, "post")["seed"].SelectToken("value.data.taskId")!);
    }

    [Fact]
    public void The_spec_carries_the_seed_request_and_response_examples_verbatim()
    {
        var request = Repo.SeedFacts.SelectToken("seed.requestExample")!;
        var response = Repo.SeedFacts.SelectToken("seed.responseExample")!;

        JToken.DeepEquals(request, SeedRequestExample["value"]).Should().BeTrue("the spec's seed request example is {0}", SeedRequestExample["value"]);
        JToken.DeepEquals(response, Repo.ResponseExamples(CreateTask, "post")["seed"]["value"]).Should().BeTrue();
    }

    [Fact]
    public void Every_code_the_seed_lists_has_a_documented_error_example_with_its_kind()
    {
        var seedCodes = Repo.SeedFacts.SelectTokens("seed.codes[*].code").Select(c => (int)c).ToHashSet();
        seedCodes.Should().HaveCountGreaterThan(5, "the seed's code list was found");

        var documented = ErrorExamples().Select(e => (int)e.Body["code"]!).ToHashSet();
        documented.Should().Contain(seedCodes.Where(c => c != 200));
        documented.Should().Contain(433, "kie-api.md documents 433 on the createTask page");

        // kie-api.md's table of the createTask page's codes: every row, 433 among them.
        var referenceCodes = Repo.SeedFacts.SelectTokens("reference.createTaskCodes[*].code").Select(c => (int)c).ToHashSet();
        referenceCodes.Should().Contain(433).And.HaveCountGreaterThan(seedCodes.Count, "the reference adds codes to the seed's list");
        documented.Should().Contain(referenceCodes.Where(c => c != 200));
    }

    [Fact]
    public async Task Every_documented_createTask_response_example_deserializes_or_maps_to_its_kind()
    {
        foreach (var (name, example) in Repo.ResponseExamples(CreateTask, "post"))
        {
            var client = wireMock.NewClient();
            var body = (JObject)example["value"]!;
            wireMock.Answer(CreateTask, body);
            var call = () => client.CreateTaskAsync(MinimalRequest(), CancellationToken.None);

            if ((int)body["code"]! == 200)
            {
                (await call()).Data!.TaskId.Should().Be((string)body.SelectToken("data.taskId")!, name);
            }
            else
            {
                (await call.Should().ThrowAsync<KlingApiException>(name)).Which.Kind.ToString().Should().Be((string)example["x-error-kind"]!, name);
            }
        }
    }

    [Fact]
    public async Task Every_documented_task_record_example_deserializes_with_its_fields()
    {
        foreach (var (name, example) in Repo.ResponseExamples(RecordInfo, "get"))
        {
            var client = wireMock.NewClient();
            var body = (JObject)example["value"]!;
            wireMock.Answer(RecordInfo, body);
            var call = () => client.GetTaskRecordAsync("task_kling_1765184398475", CancellationToken.None);

            if ((int)body["code"]! != 200)
            {
                (await call.Should().ThrowAsync<KlingApiException>(name)).Which.Code.Should().Be((int)body["code"]!);
                continue;
            }

            var record = (await call()).Data!;
            var data = (JObject)body["data"]!;
            record.TaskId.Should().Be((string)data["taskId"]!, name);
            record.RawState.Should().Be((string)data["state"]!, name);
            record.State.Should().NotBeNull(name);
            TaskStates.ToWire(record.State!.Value).Should().Be((string)data["state"]!, name);
            record.Param.Should().Be((string?)data["param"], name);
            record.ResultJson.Should().Be((string?)data["resultJson"], name);
            record.FailCode.Should().Be((string?)data["failCode"], name);
            record.FailMsg.Should().Be((string?)data["failMsg"], name);
            record.CreateTime.Should().Be((long?)data["createTime"], name);
            record.CompleteTime.Should().Be((long?)data["completeTime"], name);
            record.CostTime.Should().Be((long?)data["costTime"], name);
            record.CreditsConsumed.Should().Be((double?)data["creditsConsumed"], name);
            wireMock.Requests.Single().RequestMessage.Query!["taskId"].Should().Equal("task_kling_1765184398475");
        }
    }

    [Fact]
    public async Task Every_documented_credits_and_download_example_deserializes()
    {
        foreach (var (name, example) in Repo.ResponseExamples(Credit, "get").Where(e => (int)e.Value["value"]!["code"]! == 200))
        {
            var client = wireMock.NewClient();
            wireMock.Answer(Credit, example["value"]!);
            (await client.GetRemainingCreditsAsync(CancellationToken.None)).Data.Should().Be((long)example.SelectToken("value.data")!, name);
            wireMock.Requests.Single().RequestMessage.Method.Should().Be("GET");
        }

        foreach (var (name, example) in Repo.ResponseExamples(DownloadUrl, "post"))
        {
            var client = wireMock.NewClient();
            var body = (JObject)example["value"]!;
            wireMock.Answer(DownloadUrl, body);
            var requestExample = (JObject)Repo.Spec.SelectToken($"$.paths['{DownloadUrl}'].post.requestBody.content['application/json'].example")!;
            var call = () => client.GetDownloadUrlAsync(new DownloadUrlRequest { Url = new Uri((string)requestExample["url"]!) }, CancellationToken.None);
            if ((int)body["code"]! == 200)
            {
                (await call()).Data.Should().Be(new Uri((string)body["data"]!), name);
                JToken.DeepEquals(JToken.Parse(wireMock.Requests.Single().RequestMessage.Body!), requestExample).Should().BeTrue(name);
            }
            else
            {
                (await call.Should().ThrowAsync<KlingApiException>(name)).Which.Kind.Should().Be(KlingErrorKind.ValidationFailed);
            }
        }
    }

    public static TheoryData<string> ErrorExampleNames() => new(ErrorExamples().Select(e => e.Name));

    [Theory]
    [MemberData(nameof(ErrorExampleNames))]
    public async Task A_documented_error_inside_an_HTTP_200_body_maps_to_its_kind(string exampleName)
    {
        var (_, body, kind) = ErrorExamples().Single(e => e.Name == exampleName);
        var client = wireMock.NewClient();
        wireMock.Answer(Credit, body);

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.ToString().Should().Be(kind);
        error.Code.Should().Be((int)body["code"]!);
        error.HttpStatus.Should().Be(200);
        error.ServerMessage.Should().Be((string?)body["msg"] ?? (string?)body["message"]);
        error.Message.Should().Contain(error.ServerMessage!);
        wireMock.Requests.Should().ContainSingle();
    }

    [Theory]
    [MemberData(nameof(ErrorExampleNames))]
    public async Task A_documented_error_sent_as_a_real_HTTP_status_maps_to_its_kind(string exampleName)
    {
        var (_, body, kind) = ErrorExamples().Single(e => e.Name == exampleName);
        var client = wireMock.NewClient();
        wireMock.Answer(Credit, body, status: (int)body["code"]!);

        var error = (await client.Invoking(c => c.GetRemainingCreditsAsync(CancellationToken.None)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.ToString().Should().Be(kind);
        error.Code.Should().Be((int)body["code"]!);
        error.HttpStatus.Should().Be((int)body["code"]!); // which kinds are retryable: Conformance/ResponseVectorTests
    }

    [Fact]
    public async Task A_createTask_with_only_the_required_fields_sends_only_them()
    {
        var example = (JObject)Repo.Examples($"$.paths['{CreateTask}'].post.requestBody.content['application/json'].examples")["minimal"]["value"]!;
        var client = wireMock.NewClient();
        wireMock.Answer(CreateTask, Repo.ResponseExamples(CreateTask, "post")["seed"]["value"]!);

        await client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = (string)example.SelectToken("input.prompt")! } }, CancellationToken.None);

        JToken.DeepEquals(JToken.Parse(wireMock.Requests.Single().RequestMessage.Body!), example).Should().BeTrue();
    }

    internal static IEnumerable<(string Name, JObject Body, string Kind)> ErrorExamples() =>
        ((JObject)Repo.Spec.SelectToken("$.components.examples")!).Properties()
            .Where(p => p.Value["x-error-kind"] is not null)
            .Select(p => (p.Name, (JObject)p.Value["value"]!, (string)p.Value["x-error-kind"]!));

    internal static CreateTaskRequest MinimalRequest() => new() { Input = new CreateTaskInput { Prompt = "A paper boat on a rainy street." } };
}
