using KlingGenerated.Tests.Infrastructure;
using KlingGenerated.Tests.Uploads;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// A batch line's image fields (those the document marks <c>x-kling-upload</c> for its model) may hold local files: each
/// is checked while the batch is read, uploaded through the library just before its line is sent (once, whatever number
/// of lines use it), and the create carries the uploaded URL. The lines come from the document's examples, so a model
/// added to the document is covered without a change here.
/// </summary>
public sealed class BatchUploadTests
{
    /// <summary>A line for each model with an image field: its example's input, each image field holding <paramref name="image"/> (a list field a list of it).</summary>
    private static List<JObject> LinesWithImage(string image, string promptSuffix = "") =>
        [.. KlingModels.All.Where(m => KlingUploadRules.ImageFieldsOf(m.Id).Count > 0).Select(model =>
        {
            var example = Repo.Examples("$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].examples").Values
                .Select(e => (JObject)e["value"]!).First(v => (string?)v["model"] == model.Id && v["callBackUrl"] is null);
            var line = new JObject { ["model"] = model.Id };
            line.Merge(example["input"]);
            line["prompt"] = (string)line["prompt"]! + promptSuffix;
            foreach (var (field, _, isList) in KlingUploadRules.ImageFieldsOf(model.Id))
            {
                line[field] = isList ? new JArray(image) : image;
            }

            return line;
        })];

    private static Dictionary<string, string> Service(CliRun run) => new()
    {
        ["KIE_API_KEY"] = CliRun.Key,
        ["KIE_BASE_URL"] = run.Simulator.BaseUrl.AbsoluteUri,
        ["KIE_UPLOAD_BASE_URL"] = run.Simulator.UploadBaseUrl.AbsoluteUri,
    };

    private static string Jsonl(IEnumerable<JObject> lines) => string.Join("\n", lines.Select(l => l.ToString(Formatting.None))) + "\n";

    [Fact]
    public async Task A_local_image_is_uploaded_once_for_all_its_lines_and_each_create_carries_the_uploaded_URL()
    {
        await using var run = await CliRun.StartAsync();
        var absolute = UploadImages.WriteTemp(Path.Combine(run.Folder, "img"), "boat.png", UploadImages.Png);
        var lines = LinesWithImage("img/boat.png").Concat(LinesWithImage(absolute, " Again, from the absolute path.")).ToList();
        var file = run.Write("images.jsonl", Jsonl(lines));

        var result = await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v");

        result.ExitCode.Should().Be(0, result.Stderr);
        var upload = run.Simulator.Uploads.Should().ContainSingle("one file, however many lines and paths name it, is uploaded once").Subject;
        upload.Size.Should().Be(UploadImages.Png.Length);
        result.Stderr.Should().MatchRegex($@"line \d+: uploaded boat\.png \({UploadImages.Png.Length} bytes\) to http://127\.0\.0\.1:\d+/uploads/\S+ \(expires \d{{4}}-\d\d-\d\d \d\d:\d\d UTC\)");
        var sent = run.Simulator.CreatedTasks.Values.Select(JObject.Parse).ToList();
        sent.Should().HaveCount(lines.Count);
        foreach (var body in sent)
        {
            foreach (var (field, _, _) in KlingUploadRules.ImageFieldsOf((string)body["model"]!))
            {
                // The URL names the stored file's id, which exists only once the upload was answered: the upload came first.
                var urls = body["input"]![field] is JArray list ? list.Values<string>().ToList() : [(string?)body["input"]![field]];
                urls.Should().AllSatisfy(u => u.Should().StartWith(run.Simulator.UploadBaseUrl.AbsoluteUri + "uploads/" + upload.FileId + "/"), "the create of {0} carries the uploaded URL", body["model"]);
            }
        }

        Directory.GetFiles(Path.Combine(run.Folder, "v"), "*.mp4").Should().HaveCount(lines.Count);
    }

    [Fact]
    public async Task A_rerun_with_the_image_renamed_uploads_nothing_and_pays_nothing_twice_as_a_line_is_known_by_its_images_bytes()
    {
        await using var run = await CliRun.StartAsync();
        UploadImages.WriteTemp(Path.Combine(run.Folder, "img"), "boat.png", UploadImages.Png);
        var file = run.Write("images.jsonl", Jsonl(LinesWithImage("img/boat.png")));
        var first = await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v");
        first.ExitCode.Should().Be(0, first.Stderr);
        var created = run.Simulator.CreatedTasks.Count;
        File.Move(Path.Combine(run.Folder, "img", "boat.png"), Path.Combine(run.Folder, "img", "first-frame.png"));
        run.Write("images.jsonl", Jsonl(LinesWithImage("img/first-frame.png")));

        var second = await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v");

        second.ExitCode.Should().Be(0, second.Stderr);
        second.Stderr.Should().Contain($"{created} already done");
        run.Simulator.CreatedTasks.Count.Should().Be(created, "the lines were created by the first run");
        run.Simulator.Uploads.Should().ContainSingle("a line already done uploads nothing");
    }

    [Fact]
    public async Task A_changed_image_is_a_new_line_and_is_sent_again()
    {
        await using var run = await CliRun.StartAsync();
        var path = UploadImages.WriteTemp(Path.Combine(run.Folder, "img"), "boat.png", UploadImages.Png);
        var line = LinesWithImage("img/boat.png")[0];
        var file = run.Write("one.jsonl", Jsonl([line]));
        (await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v")).ExitCode.Should().Be(0);
        File.WriteAllBytes(path, UploadImages.Jpeg);

        var second = await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v");

        second.ExitCode.Should().Be(0, second.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(2, "new bytes are a new request");
        run.Simulator.Uploads.Select(u => u.Size).Should().BeEquivalentTo([UploadImages.Png.Length, UploadImages.Jpeg.Length]);
    }

    [Theory]
    [InlineData("missing.png", null, "is neither an http(s) URL nor a file that exists")]
    [InlineData("notes.png", "text", "is not image/jpeg or image/png")]
    [InlineData("huge.png", "huge", "bytes, more than the 10485760")]
    public async Task A_missing_unsupported_or_oversized_image_refuses_its_line_naming_the_file_and_nothing_is_sent(string name, string? kind, string reason)
    {
        await using var run = await CliRun.StartAsync();
        UploadImages.WriteTemp(run.Folder, "boat.png", UploadImages.Png);
        if (kind == "text")
        {
            File.WriteAllText(Path.Combine(run.Folder, name), "just some notes");
        }
        else if (kind == "huge")
        {
            using var huge = File.Create(Path.Combine(run.Folder, name));
            huge.Write(UploadImages.Png);
            huge.SetLength(KlingUploadRules.MaxFileBytes + 1);
        }

        var good = LinesWithImage("boat.png")[0];
        var bad = LinesWithImage(name)[0];
        var field = KlingUploadRules.ImageFieldsOf((string)bad["model"]!)[0].Field;
        var file = run.Write("b.jsonl", Jsonl([good, bad]));

        var result = await KlingInProcess.RunAsync(run.Folder, Service(run), "batch", file, "--out", "v");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain($"{file}:2: \"{field}\" '{name}' ").And.Contain(reason).And.Contain("nothing was sent");
        run.Simulator.RequestCount.Should().Be(0, "a bad image refuses the batch before any upload or create");
    }
}
