using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>`kling models` and `kling generate --model`: the models and their options come from the document; the tests name none.</summary>
public sealed class ModelCommandTests
{
    public static TheoryData<string> Models() => [.. KlingModels.All.Select(m => m.Id)];

    /// <summary>The document's createTask example for a model, as `kling generate` arguments (each field by its option).</summary>
    private static string[] ArgumentsFor(string model)
    {
        var example = Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples").Values
            .Select(e => (JObject)e["value"]!).First(v => (string?)v["model"] == model && v["callBackUrl"] is null);
        var input = (JObject)example["input"]!;
        var args = new List<string> { "generate", (string)input["prompt"]!, "--model", model };
        foreach (var (name, value) in input)
        {
            var option = "--" + name.Replace('_', '-');
            switch (value)
            {
                case JArray items:
                    args.AddRange(items.SelectMany(i => new[] { option, (string)i! }));
                    break;
                case JValue { Type: JTokenType.Boolean } flag:
                    args.AddRange([option, (bool)flag ? "true" : "false"]);
                    break;
                default:
                    if (name != "prompt")
                    {
                        args.AddRange([option, System.Convert.ToString(((JValue)value!).Value, System.Globalization.CultureInfo.InvariantCulture)!]);
                    }

                    break;
            }
        }

        return [.. args];
    }

    [Fact]
    public async Task Kling_models_lists_every_model_of_the_document_with_its_inputs()
    {
        var (exitCode, stdout, stderr) = await CliRun.InProcessAsync(["models", "--json"]);

        exitCode.Should().Be(0, stderr);
        var listed = JArray.Parse(stdout);
        listed.Select(m => (string)m["model"]!).Should().Equal(KlingModels.All.Select(m => m.Id));
        foreach (var model in KlingModels.All)
        {
            var entry = listed.Single(m => (string)m["model"]! == model.Id);
            entry["inputs"]!.Select(f => (string)f["name"]!).Should().Equal(model.Inputs.Select(f => f.Name));
            entry["inputs"]!.Where(f => (bool)f["required"]!).Select(f => (string)f["name"]!).Should()
                .Equal(((JArray?)Repo.Spec.SelectToken($"$.components.schemas.{model.InputSchema}.required"))!.Values<string>());
        }

        var text = await CliRun.InProcessAsync(["models"]);
        foreach (var model in KlingModels.All)
        {
            text.Stdout.Should().Contain(model.Id);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Kling_generate_with_each_models_options_makes_an_MP4_recorded_with_that_model(string model)
    {
        await using var run = await CliRun.StartAsync();

        var (exitCode, stdout, stderr) = await run.RunAsync([.. ArgumentsFor(model), "--out", Path.Combine(run.Folder, "out"), "--json"]);

        exitCode.Should().Be(0, stderr);
        var result = JObject.Parse(stdout);
        Mp4.ShouldBeThePlayableSample(await File.ReadAllBytesAsync((string)result["file"]!));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { BaseUrl = run.Simulator.BaseUrl, ApiKey = CliRun.Key });
        var record = (await client.GetTaskRecordAsync((string)result["taskId"]!, CancellationToken.None)).Data!;
        record.Model.Should().Be(model);
        JObject.Parse(record.Param!)["model"]!.Value<string>().Should().Be(model);
    }

    [Fact]
    public async Task An_option_the_chosen_model_does_not_have_is_refused_naming_it_and_nothing_is_sent()
    {
        await using var run = await CliRun.StartAsync();
        var withoutBoolean = KlingModels.All.First(m => m.Inputs.All(f => f.Type != "boolean"));
        var boolean = KlingModels.All.SelectMany(m => m.Inputs).First(f => f.Type == "boolean").Name;
        var withoutImage = KlingModels.All.First(m => !m.Inputs.Any(f => f.Required && f.Format == "uri"));

        var flag = await run.RunAsync("generate", "a boat", "--model", withoutBoolean.Id, "--" + boolean.Replace('_', '-'), "--no-wait");
        var image = await run.RunAsync("generate", "a boat", "--model", withoutImage.Id, "--image", "https://example.com/a.png", "--no-wait");
        var required = KlingModels.All.First(m => m.Inputs.Count(f => f.Required) > 2);
        var missing = await run.RunAsync("generate", "a boat", "--model", required.Id, "--no-wait");

        flag.ExitCode.Should().Be(2, flag.Stderr);
        flag.Stderr.Should().Contain(withoutBoolean.Id).And.Contain(boolean).And.Contain("Nothing was sent");
        image.ExitCode.Should().Be(2, image.Stderr);
        image.Stderr.Should().Contain(withoutImage.Id).And.Contain("--image");
        missing.ExitCode.Should().Be(2, missing.Stderr);
        missing.Stderr.Should().Contain(required.Id).And.Contain("nothing was sent");
        run.Simulator.CreatedTasks.Should().BeEmpty();
    }
}
