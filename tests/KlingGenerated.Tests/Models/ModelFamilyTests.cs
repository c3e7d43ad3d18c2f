using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KlingGenerated.OpenApi;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Models;

/// <summary>
/// The model family from the document: createTask's body is one request schema per model, chosen by <c>model</c>
/// (VideoTaskRequest's discriminator). Every model is read from the document; the tests name none.
/// </summary>
[Collection("Simulator")]
public sealed class ModelFamilyTests(SimulatorFixture fixture)
{
    private const string CreateTaskPath = "/api/v1/jobs/createTask";

    public static TheoryData<string> Models() => [.. KlingModels.All.Select(m => m.Id)];

    /// <summary>The document's createTask example for <paramref name="model"/> (each model must have one).</summary>
    private static JObject Example(string model) =>
        Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples").Values
            .Select(e => (JObject)e["value"]!).FirstOrDefault(v => (string?)v["model"] == model && v["callBackUrl"] is null)
        ?? throw new InvalidOperationException($"The document has no createTask example for {model}.");

    private static IReadOnlyList<string> Validate(JToken body) =>
        RequestValidator.Validate("POST", CreateTaskPath, new MemoryStream(Encoding.UTF8.GetBytes(body.ToString(Formatting.None))));

    private static JObject With(JObject body, string field, JToken? value)
    {
        var copy = (JObject)body.DeepClone();
        var input = (JObject)copy["input"]!;
        if (value is null)
        {
            input.Remove(field);
        }
        else
        {
            input[field] = value;
        }

        return copy;
    }

    [Fact]
    public void The_models_are_the_documents_discriminator_mapping_each_with_its_generated_request_type()
    {
        var mapping = (JObject)Repo.Spec.SelectToken("$.components.schemas.VideoTaskRequest.discriminator.mapping")!;
        KlingModels.All.Select(m => m.Id).Should().Equal(mapping.Properties().Select(p => p.Name));
        KlingModels.All.Select(m => m.Id).Should().BeEquivalentTo(Repo.Spec.SelectToken("$.components.schemas.KlingModel.enum")!.Values<string>(), "KlingModel lists exactly the mapped models");
        foreach (var model in KlingModels.All)
        {
            model.RequestType.Should().BeAssignableTo<VideoTaskRequest>();
            model.RequestType.Name.Should().Be(model.RequestSchema, "NSwag names the type after the schema");
            KlingModels.ModelOf(model.RequestType).Should().Be(model.Id);
            ((VideoTaskRequest)Activator.CreateInstance(model.RequestType)!).Model.Should().Be(model.Id);
            model.Inputs.Should().Contain(f => f.Name == "prompt" && f.Required);
        }

        typeof(VideoTaskRequest).IsAbstract.Should().BeTrue("only a mapped request can be sent");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_models_example_reads_into_its_own_type_and_writes_back_unchanged_with_its_model(string model)
    {
        var example = Example(model);
        Validate(example).Should().BeEmpty("the document's example for {0} is valid", model);

        var typed = example.ToObject<VideoTaskRequest>()!;

        typed.GetType().Should().Be(KlingModels.Find(model)!.RequestType);
        var written = JObject.Parse(JsonConvert.SerializeObject(typed));
        JToken.DeepEquals(written, example).Should().BeTrue("{0} round-trips: {1}", model, written);
        written.Properties().Select(p => p.Name).Should().Equal(["model", "input"], "the discriminator leads, as before: batch ledger keys hash this text");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Each_model_runs_through_the_library_against_the_simulator_to_a_playable_MP4_recorded_with_its_model_and_param(string model)
    {
        var example = Example(model);
        var request = example.ToObject<VideoTaskRequest>()!;
        var client = fixture.NewClient();

        var record = await client.GenerateVideoAsync(request, SimulatorFixture.FastPolling, cancellationToken: CancellationToken.None);

        record.State.Should().Be(TaskState.Success);
        record.Model.Should().Be(model);
        record.TaskId.Should().StartWith("task_" + model.Split('/')[0] + "_", "task ids carry the model's family, as the service's do");
        JToken.DeepEquals(JToken.Parse(record.Param!), example).Should().BeTrue("param is the request as sent: {0}", record.Param);
        using var http = new HttpClient();
        Mp4.ShouldBeThePlayableSample(await http.GetByteArrayAsync(record.GetResultUrls().Single()));
    }

    [Fact]
    public void A_request_for_a_model_the_document_does_not_map_is_refused_naming_the_field_and_the_model()
    {
        var body = JObject.Parse("""{"model":"kling/v9-imaginary","input":{"prompt":"a boat"}}""");

        Validate(body).Should().ContainSingle().Which.Should().Contain("model").And.Contain("kling/v9-imaginary")
            .And.Contain(KlingModels.All[0].Id, "the message lists the models the document maps");
    }

    [Fact]
    public void Each_model_is_checked_against_its_own_schema_and_a_problem_names_the_model_and_the_field()
    {
        foreach (var model in KlingModels.All)
        {
            var example = Example(model.Id);
            foreach (var field in model.Inputs.Where(f => f.Required))
            {
                Validate(With(example, field.Name, null)).Should().ContainSingle(
                    p => p.Contains($"input.{field.Name} is required", StringComparison.Ordinal) && p.Contains(model.Id, StringComparison.Ordinal),
                    "{0} requires {1}", model.Id, field.Name);
            }

            Validate(JObject.Parse($$"""{"model":"{{model.Id}}"}""")).Should().Contain(p => p.Contains("input is required", StringComparison.Ordinal), "a body with only a model is not a request");
        }
    }

    [Fact]
    public void The_same_value_is_valid_for_one_model_and_refused_for_another_by_the_documents_limits()
    {
        // Prompt limits differ per model: read each from the document and probe one over it.
        foreach (var model in KlingModels.All)
        {
            var limit = PromptLimit(model);
            var example = Example(model.Id);
            Validate(With(example, "prompt", new string('a', limit))).Should().BeEmpty("{0} takes {1} characters", model.Id, limit);
            Validate(With(example, "prompt", new string('a', limit + 1))).Should().ContainSingle()
                .Which.Should().Contain("input.prompt").And.Contain(model.Id);
        }

        KlingModels.All.Select(PromptLimit).Distinct().Should().HaveCountGreaterThan(1, "the models' prompt limits differ, so one shared limit would be wrong for some");
    }

    private static int PromptLimit(KlingModelInfo model) =>
        (int)((JObject)Repo.Resolve(Repo.Spec.SelectToken($"$.components.schemas.{model.InputSchema}.properties.prompt")!))["maxLength"]!;

    [Fact]
    public void Array_image_and_boolean_fields_are_checked_as_the_document_says()
    {
        var arrayModel = KlingModels.All.First(m => m.Inputs.Any(f => f.Type == "array"));
        var arrayField = arrayModel.Inputs.First(f => f.Type == "array");
        var example = Example(arrayModel.Id);
        var url = example["input"]![arrayField.Name]![0]!;

        Validate(With(example, arrayField.Name, new JArray())).Should().ContainSingle().Which.Should().Contain($"input.{arrayField.Name} must not be empty");
        Validate(With(example, arrayField.Name, new JArray(url, url))).Should().ContainSingle().Which.Should().Contain($"input.{arrayField.Name} must have at most 1 item");
        Validate(With(example, arrayField.Name, new JArray("not a url"))).Should().ContainSingle().Which.Should().Contain($"input.{arrayField.Name}.0");

        var booleanModel = KlingModels.All.First(m => m.Inputs.Any(f => f.Type == "boolean"));
        var boolean = booleanModel.Inputs.First(f => f.Type == "boolean").Name;
        Validate(With(Example(booleanModel.Id), boolean, "true")).Should().ContainSingle().Which.Should().Contain($"input.{boolean} must be a boolean");

        var tailModel = KlingModels.All.First(m => m.Inputs.Any(f => f.Name == "tail_image_url"));
        Validate(With(Example(tailModel.Id), "tail_image_url", string.Empty)).Should().BeEmpty("an empty last frame means none");
        Validate(With(Example(tailModel.Id), "tail_image_url", "ftp://x/y.png")).Should().ContainSingle().Which.Should().Contain("input.tail_image_url");
    }

    [Theory]
    [InlineData("""{"oneOf":[{"type":"string"},{"type":"integer"}]}""", "oneOf")]
    [InlineData("""{"anyOf":[{"type":"string"}]}""", "anyOf")]
    [InlineData("""{"type":"string","not":{"enum":["a"]}}""", "not")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","format":"date-time"}}}""", "date-time")]
    [InlineData("""{"type":"object","discriminator":{"propertyName":"kind"}}""", "mapping")]
    public void A_schema_construct_the_validator_does_not_implement_fails_loudly_instead_of_passing(string schema, string named)
    {
        using var value = JsonDocument.Parse("""{"a":"x","kind":"k"}""");

        var validating = () => SchemaValidator.Validate(value.RootElement, JObject.Parse(schema), string.Empty);

        validating.Should().Throw<NotSupportedException>().Which.Message.Should().Contain(named);
    }

    [Fact]
    public async Task The_simulator_refuses_with_422_and_charges_nothing_for_a_body_no_model_accepts()
    {
        var imageModel = KlingModels.All.First(m => m.Inputs.Any(f => f.Format == "uri" && f.Required));
        var missingImage = With(Example(imageModel.Id), imageModel.Inputs.First(f => f.Format == "uri" && f.Required).Name, null);
        using var http = new HttpClient { BaseAddress = fixture.Simulator.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Simulator.ApiKey);
        var credits = await fixture.NewClient().GetRemainingCreditsAsync(CancellationToken.None);

        foreach (var body in new[] { "{}", """{"model":"kling/v9-imaginary","input":{"prompt":"p"}}""", missingImage.ToString(Formatting.None) })
        {
            using var response = await http.PostAsync(CreateTaskPath.TrimStart('/'), new StringContent(body, Encoding.UTF8, "application/json"));
            var answer = JObject.Parse(await response.Content.ReadAsStringAsync());
            ((int)answer["code"]!).Should().Be(422, "{0} is refused: {1}", body, answer);
        }

        (await fixture.NewClient().GetRemainingCreditsAsync(CancellationToken.None)).Data.Should().Be(credits.Data, "nothing was created");
    }
}
