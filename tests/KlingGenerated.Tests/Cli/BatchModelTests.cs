using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// Batch lines carry <c>model</c> and that model's input fields (image fields included), each line checked against its
/// model's request schema in the document before anything is sent. The lines come from the document's examples, so a
/// model added to the document is covered without a change here.
/// </summary>
public sealed class BatchModelTests
{
    /// <summary>A batch line for each of the document's createTask examples without a callback: id, model and the example's input fields.</summary>
    private static IReadOnlyList<JObject> LinePerModel() =>
        [.. KlingModels.All.Select(model =>
        {
            var example = Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples").Values
                .Select(e => (JObject)e["value"]!).First(v => (string?)v["model"] == model.Id && v["callBackUrl"] is null);
            var line = new JObject { ["id"] = "line-" + model.InputSchema, ["model"] = model.Id };
            line.Merge(example["input"]);
            return line;
        })];

    [Fact]
    public async Task A_batch_with_a_line_per_model_sends_each_line_with_its_own_model_and_makes_an_MP4_each()
    {
        await using var run = await CliRun.StartAsync();
        var lines = LinePerModel();
        var file = run.Write("family.jsonl", string.Join("\n", lines.Select(l => l.ToString(Formatting.None))) + "\n");
        var output = Path.Combine(run.Folder, "v");

        var result = await run.RunAsync("batch", file, "--out", output);

        result.ExitCode.Should().Be(0, result.Stderr);
        var sent = run.Simulator.CreatedTasks.Values.Select(JObject.Parse).ToList();
        sent.Select(b => (string)b["model"]!).Should().BeEquivalentTo(KlingModels.All.Select(m => m.Id));
        foreach (var line in lines)
        {
            var body = sent.Single(b => (string)b["model"]! == (string)line["model"]!);
            var input = (JObject)line.DeepClone();
            input.Remove("id");
            input.Remove("model");
            JToken.DeepEquals(body["input"], input).Should().BeTrue("the line's fields are sent as its model's input: {0}", body);
        }

        var videos = Directory.GetFiles(output, "*.mp4");
        videos.Should().HaveCount(lines.Count);
        foreach (var video in videos)
        {
            Mp4.ShouldBeThePlayableSample(File.ReadAllBytes(video));
        }
    }

    [Fact]
    public async Task A_CSV_with_a_model_column_reads_each_rows_cells_as_its_models_fields_are_typed()
    {
        await using var run = await CliRun.StartAsync();
        var withList = KlingModels.All.First(m => m.Inputs.Any(f => f.Type == "array" && f.Required) && m.Inputs.Any(f => f.Type == "boolean" && f.Required));
        var list = withList.Inputs.First(f => f.Type == "array").Name;
        var flag = withList.Inputs.First(f => f.Type == "boolean").Name;
        var required = withList.Inputs.Where(f => f.Required && f.Values is not null).ToList();
        var header = string.Join(",", ["id", "model", "prompt", list, flag, .. required.Select(f => f.Name)]);
        var row = string.Join(",", ["a", withList.Id, "A kite", "https://example.com/kite.png", "true", .. required.Select(f => f.Values![0])]);
        var plain = string.Join(",", ["b", string.Empty, "Plain prompt", string.Empty, string.Empty, .. required.Select(_ => string.Empty)]);
        var file = run.Write("mixed.csv", header + "\n" + row + "\n" + plain + "\n");

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"));

        result.ExitCode.Should().Be(0, result.Stderr);
        var sent = run.Simulator.CreatedTasks.Values.Select(JObject.Parse).ToList();
        var typed = sent.Single(b => (string)b["model"]! == withList.Id)["input"]!;
        typed[list].Should().BeOfType<JArray>().Which.Values<string>().Should().Equal("https://example.com/kite.png");
        typed[flag]!.Type.Should().Be(JTokenType.Boolean);
        ((bool)typed[flag]!).Should().BeTrue();
        sent.Should().ContainSingle(b => (string)b["model"]! == BatchDefaultModel, "a row with an empty model cell is the default model's");
    }

    private static string BatchDefaultModel => KlingModels.ModelOf(typeof(CreateTaskRequest));

    [Fact]
    public async Task An_unknown_model_is_refused_naming_the_line_and_the_model_and_nothing_is_sent()
    {
        var (file, stderr) = await RefusedBatch.RunAsync("b.jsonl", "{\"prompt\":\"A kite\"}\n{\"model\":\"kling/v9-imaginary\",\"prompt\":\"A kite\"}\n");

        stderr.Should().Contain(file + ":2: unknown model \"kling/v9-imaginary\"").And.Contain(KlingModels.All[^1].Id).And.Contain("nothing was sent");
    }

    [Fact]
    public async Task A_field_the_lines_model_does_not_have_is_refused_naming_the_line_the_model_and_the_field()
    {
        var (model, field) = KlingModels.All.SelectMany(m => KlingModels.All.SelectMany(o => o.Inputs).Where(f => m.Input(f.Name) is null).Select(f => (m, f))).First();
        var line = new JObject { ["model"] = model.Id, ["prompt"] = "A kite", [field.Name] = field.Type == "boolean" ? new JValue(true) : new JValue("16:9") };

        var (file, stderr) = await RefusedBatch.RunAsync("b.jsonl", line.ToString(Formatting.None) + "\n");

        stderr.Should().Contain(file + $":1: unknown field \"{field.Name}\" for the model {model.Id}");
    }

    [Fact]
    public async Task A_line_without_its_models_required_image_is_refused_by_the_document_before_any_line_is_sent()
    {
        var lines = LinePerModel();
        var (broken, image) = lines.Select(l => (Line: l, Image: KlingModels.Find((string)l["model"]!)!.Inputs.FirstOrDefault(f => f.Required && f.Format == "uri")))
            .First(p => p.Image is not null);
        broken.Remove(image!.Name);

        var (file, stderr) = await RefusedBatch.RunAsync("b.jsonl", string.Join("\n", lines.Select(l => l.ToString(Formatting.None))) + "\n"); // every line is checked before any is sent

        var number = lines.ToList().IndexOf(broken) + 1;
        stderr.Should().Contain($"{file}:{number}:").And.Contain(image.Name).And.Contain($"(model {broken["model"]})");
    }
}
