using System.ComponentModel.DataAnnotations;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Every constraint of the document at its boundaries, checked before sending: a violation sends nothing.</summary>
[Collection("WireMock")]
public sealed class ValidationTests(WireMockFixture wireMock)
{
    private const string CreateTask = "/api/v1/jobs/createTask";

    private static JObject InputSchema => (JObject)Repo.Resolve(Repo.Spec.SelectToken("$.components.schemas.CreateTaskInput")!);

    private static int MaxLength(string field) => (int)InputSchema["properties"]![field]!["maxLength"]!;

    private KlingClient ClientAnsweringSuccess(Action<KlingClientOptions>? configure = null)
    {
        var client = wireMock.NewClient(configure);
        wireMock.Answer(CreateTask, JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1"}}"""));
        return client;
    }

    private async Task ShouldBeSent(CreateTaskRequest request)
    {
        var client = ClientAnsweringSuccess();
        (await client.CreateTaskAsync(request, CancellationToken.None)).Data!.TaskId.Should().Be("task_1");
        wireMock.Requests.Should().ContainSingle();
    }

    private async Task ShouldBeRefused(CreateTaskRequest request, params string[] messageParts)
    {
        var client = ClientAnsweringSuccess();
        var error = (await client.Invoking(c => c.CreateTaskAsync(request, CancellationToken.None)).Should().ThrowExactlyAsync<ValidationException>()).Which;
        foreach (var part in messageParts)
        {
            error.Message.Should().Contain(part);
        }

        wireMock.Requests.Should().BeEmpty("nothing may reach the server when validation fails");
    }

    private static CreateTaskRequest With(Action<CreateTaskInput> change, Uri? callBackUrl = null)
    {
        var input = new CreateTaskInput { Prompt = "A paper boat on a rainy street." };
        change(input);
        return new CreateTaskRequest { Input = input, CallBackUrl = callBackUrl };
    }

    [Theory]
    [InlineData("prompt")]
    [InlineData("negative_prompt")]
    public async Task A_text_at_the_documented_maximum_length_is_sent(string field)
    {
        var text = new string('a', MaxLength(field));
        await ShouldBeSent(With(i => { if (field == "prompt") i.Prompt = text; else i.NegativePrompt = text; }));
    }

    [Theory]
    [InlineData("prompt")]
    [InlineData("negative_prompt")]
    public async Task A_text_one_character_over_the_documented_maximum_is_refused_naming_the_field_and_limit(string field)
    {
        var text = new string('a', MaxLength(field) + 1);
        await ShouldBeRefused(With(i => { if (field == "prompt") i.Prompt = text; else i.NegativePrompt = text; }),
            $"input.{field}", $"at most {MaxLength(field)}", "not sent");
    }

    [Fact]
    public async Task An_empty_prompt_is_refused()
    {
        await ShouldBeRefused(With(i => i.Prompt = string.Empty), "input.prompt must not be empty");
    }

    public static TheoryData<int> Tenths() => new(Enumerable.Range(0, 11));

    [Theory]
    [MemberData(nameof(Tenths))]
    public async Task Every_cfg_scale_step_of_one_tenth_from_0_to_1_is_sent_however_it_was_computed(int tenths)
    {
        await ShouldBeSent(With(i => i.CfgScale = tenths / 10.0));
        await ShouldBeSent(With(i => i.CfgScale = tenths * 0.1));
    }

    [Theory]
    [InlineData(-0.1, "at least 0")]
    [InlineData(1.1, "at most 1")]
    [InlineData(0.55, "multiple of 0.1")]
    [InlineData(double.NaN, "finite number")]
    [InlineData(double.PositiveInfinity, "finite number")]
    public async Task A_cfg_scale_off_the_documented_range_or_step_is_refused(double value, string expected)
    {
        await ShouldBeRefused(With(i => i.CfgScale = value), "input.cfg_scale", expected);
    }

    [Fact]
    public async Task A_relative_callBackUrl_is_refused()
    {
        await ShouldBeRefused(With(_ => { }, new Uri("/api/callback", UriKind.Relative)), "callBackUrl", "absolute");
    }

    [Fact]
    public async Task An_empty_task_id_is_refused_before_the_query_is_sent()
    {
        var client = wireMock.NewClient();
        var error = (await client.Invoking(c => c.GetTaskRecordAsync(string.Empty, CancellationToken.None)).Should().ThrowAsync<ValidationException>()).Which;
        error.Message.Should().Contain("taskId");
        wireMock.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task With_validation_turned_off_the_service_judges_an_invalid_request()
    {
        var client = ClientAnsweringSuccess(o => o.ValidateRequests = false);

        await client.CreateTaskAsync(With(i => i.CfgScale = 0.55), CancellationToken.None);

        ((double)JToken.Parse(wireMock.Requests.Single().RequestMessage.Body!).SelectToken("input.cfg_scale")!).Should().Be(0.55);
    }
}
