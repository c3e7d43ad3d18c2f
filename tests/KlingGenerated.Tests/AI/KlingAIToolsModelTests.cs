using System.Text.Json;
using KlingGenerated.AI;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.AI;

/// <summary>
/// generate_video takes every model of the document: the model's id and its input fields (described to the model from
/// the document), checked by the shared validator and paid through the spend gate like the default model.
/// </summary>
[Collection("Simulator")]
public sealed class KlingAIToolsModelTests(SimulatorFixture fixture)
{
    /// <summary>The document's createTask example for each model, as tool arguments: prompt, model and the other input fields in inputs.</summary>
    public static TheoryData<string> Models() => [.. KlingModels.All.Select(m => m.Id)];

    private static Dictionary<string, object?> Arguments(string model)
    {
        var example = Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples").Values
            .Select(e => (JObject)e["value"]!).First(v => (string?)v["model"] == model && v["callBackUrl"] is null);
        var others = (JObject)example["input"]!.DeepClone();
        var prompt = (string)others["prompt"]!;
        others.Remove("prompt");
        return new() { ["prompt"] = prompt, ["model"] = model, ["inputs"] = JsonDocument.Parse(others.ToString()).RootElement };
    }

    // Accepts the document's unverified prices (Kling 2.6): the session's budget is reserved at them.
    private KlingClient Client(KlingPricing? pricing = null) =>
        new(new KlingClientOptions { ApiKey = fixture.Simulator.ApiKey, BaseUrl = fixture.Simulator.BaseUrl, Pricing = pricing ?? KlingPricing.Document.WithUnverifiedPrices() });

    private async Task<(JsonElement Result, int Sent)> GenerateAsync(Dictionary<string, object?> arguments, KlingClient? client = null)
    {
        var model = new ScriptedChatClient(
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(Guid.NewGuid().ToString("N"), KlingAITools.GenerateVideoName, arguments)])),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done.")));
        using var agent = new FunctionInvokingChatClient(model) { IncludeDetailedErrors = true };
        var before = fixture.Simulator.TaskCount;
        var tools = KlingAITools.Create(client ?? Client(), new KlingAIToolsOptions { RequireApproval = false, Budget = new KlingBudget(1000m) });

        await agent.GetResponseAsync([new ChatMessage(ChatRole.User, "A video.")], new ChatOptions { Tools = tools });

        return (JsonSerializer.Deserialize<JsonElement>(model.Results().Single()), fixture.Simulator.TaskCount - before);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Each_documented_model_is_started_with_its_own_input_fields_and_recorded_with_its_model(string model)
    {
        var (result, sent) = await GenerateAsync(Arguments(model));

        result.GetProperty("status").GetString().Should().Be("created", result.ToString());
        sent.Should().Be(1);
        var record = (await fixture.NewClient().GetTaskRecordAsync(result.GetProperty("taskId").GetString()!)).Data!;
        record.Model.Should().Be(model);
        var expected = Arguments(model);
        var input = (JObject)JObject.Parse(record.Param!)["input"]!;
        ((string)input["prompt"]!).Should().Be((string)expected["prompt"]!);
        foreach (var field in ((JsonElement)expected["inputs"]!).EnumerateObject())
        {
            JToken.DeepEquals(input[field.Name], JToken.Parse(field.Value.GetRawText())).Should().BeTrue("{0} is sent as given", field.Name);
        }
    }

    [Fact]
    public async Task A_model_whose_price_is_unverified_is_not_paid_from_the_sessions_budget_unless_the_client_accepts_the_price()
    {
        var model = KlingPricing.Document.UnverifiedModels.First();

        var (refused, sent) = await GenerateAsync(Arguments(model), Client(KlingPricing.Document));

        refused.GetProperty("status").GetString().Should().Be("refused");
        refused.GetProperty("message").GetString().Should().Contain("budget");
        sent.Should().Be(0);
    }

    [Fact]
    public void The_tool_describes_every_model_and_its_input_fields_from_the_document()
    {
        var generate = KlingAITools.Create(fixture.NewClient()).Cast<AIFunction>().Single(t => t.Name == KlingAITools.GenerateVideoName);

        foreach (var model in KlingModels.All)
        {
            generate.Description.Should().Contain(model.Id + ": " + string.Join(", ", model.Inputs.Select(f => f.Name + (f.Required ? " (required" : " (optional"))).Split(", ")[0]);
            foreach (var field in model.Inputs)
            {
                generate.Description.Should().Contain(field.Name);
            }
        }

        generate.JsonSchema.GetProperty("properties").TryGetProperty("model", out _).Should().BeTrue();
        generate.JsonSchema.GetProperty("properties").TryGetProperty("inputs", out _).Should().BeTrue();
    }

    [Fact]
    public async Task A_field_the_chosen_model_does_not_have_is_refused_naming_the_model_and_the_field()
    {
        var (model, field) = KlingModels.All.SelectMany(m => KlingModels.All.SelectMany(o => o.Inputs).Where(f => m.Input(f.Name) is null && f.Values is not null).Select(f => (m, f))).First();
        var arguments = Arguments(model.Id);
        var inputs = JObject.Parse(((JsonElement)arguments["inputs"]!).GetRawText());
        inputs[field.Name] = field.Values![0];
        arguments["inputs"] = JsonDocument.Parse(inputs.ToString()).RootElement;

        var (result, sent) = await GenerateAsync(arguments);

        result.GetProperty("status").GetString().Should().Be("refused");
        result.GetProperty("message").GetString().Should().Contain(model.Id).And.Contain($"'{field.Name}'").And.Contain("Nothing was sent");
        sent.Should().Be(0);
    }

    [Fact]
    public async Task A_missing_required_field_or_an_unknown_model_is_refused_by_the_document_before_anything_is_sent()
    {
        var imageModel = KlingModels.All.First(m => m.Inputs.Any(f => f.Required && f.Format == "uri"));
        var image = imageModel.Inputs.First(f => f.Required && f.Format == "uri").Name;
        var arguments = Arguments(imageModel.Id);
        var inputs = JObject.Parse(((JsonElement)arguments["inputs"]!).GetRawText());
        inputs.Remove(image);
        arguments["inputs"] = JsonDocument.Parse(inputs.ToString()).RootElement;

        var (missing, sentMissing) = await GenerateAsync(arguments);
        var (unknown, sentUnknown) = await GenerateAsync(new() { ["prompt"] = "p", ["model"] = "kling/v9-imaginary" });

        missing.GetProperty("message").GetString().Should().Contain($"input.{image} is required").And.Contain(imageModel.Id);
        unknown.GetProperty("message").GetString().Should().Contain("model must be one of").And.Contain(KlingModels.All[^1].Id);
        (sentMissing + sentUnknown).Should().Be(0);
    }
}
