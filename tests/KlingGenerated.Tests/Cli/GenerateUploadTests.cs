using KlingGenerated.Tests.Infrastructure;
using KlingGenerated.Tests.Uploads;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary><c>kling generate --image FILE</c>: the local image is checked, uploaded (shown), and the task ends in an MP4.</summary>
public sealed class GenerateUploadTests
{
    public static TheoryData<string> ImageToVideoModels() => [.. KlingModels.All.Select(m => m.Id).Where(m => KlingUploadRules.ImageFieldsOf(m).Any(f => f.Required))];

    [Theory]
    [MemberData(nameof(ImageToVideoModels))]
    public async Task Generate_with_a_local_image_uploads_it_shows_the_upload_and_saves_an_MP4(string model)
    {
        var dir = UploadImages.NewDir();
        UploadImages.WriteTemp(dir, "boat.png", UploadImages.Png);
        List<string> args = ["generate", "The paper boat sets off.", "--model", model, "--image", "boat.png", "--out", "out"];
        foreach (var required in KlingModels.Find(model)!.Inputs.Where(f => f.Required && f.Type != "array" && f.Format != "uri" && f.Name != "prompt"))
        {
            args.AddRange(["--" + required.Name.Replace('_', '-'), required.Type == "boolean" ? "false" : required.Values![0]]);
        }

        var result = await KlingInProcess.RunAsync(dir, [.. args]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().MatchRegex($@"Uploaded boat\.png \({UploadImages.Png.Length} bytes\) to http://127\.0\.0\.1:\d+/uploads/\S+ \(expires \d{{4}}-\d\d-\d\d \d\d:\d\d UTC\)");
        var video = result.Stdout.Trim();
        Mp4.ShouldBeThePlayableSample(File.ReadAllBytes(Path.Combine(dir, video)));
    }

    [Fact]
    public async Task Generate_with_a_local_tail_image_uploads_it_and_the_create_carries_its_URL_in_the_models_tail_image_field()
    {
        await using var run = await CliRun.StartAsync();
        var model = KlingModels.All.Select(m => m.Id).First(m => KlingUploadRules.ImageFieldsOf(m).Any(f => !f.Required) && KlingUploadRules.ImageFieldsOf(m).Any(f => f.Required));
        var first = KlingUploadRules.ImageFieldsOf(model).First(f => f.Required).Field;
        var tail = KlingUploadRules.ImageFieldsOf(model).First(f => !f.Required).Field;
        UploadImages.WriteTemp(run.Folder, "first.png", UploadImages.Png);
        UploadImages.WriteTemp(run.Folder, "last.jpg", UploadImages.Jpeg);
        var environment = new Dictionary<string, string>
        {
            ["KIE_API_KEY"] = CliRun.Key,
            ["KIE_BASE_URL"] = run.Simulator.BaseUrl.AbsoluteUri,
            ["KIE_UPLOAD_BASE_URL"] = run.Simulator.UploadBaseUrl.AbsoluteUri,
        };

        var result = await KlingInProcess.RunAsync(run.Folder, environment, "generate", "The paper boat reaches the harbour.", "--model", model, "--image", "first.png", "--tail-image", "last.jpg", "--out", "out");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().Contain($"Uploaded last.jpg ({UploadImages.Jpeg.Length} bytes) to ");
        var input = JObject.Parse(run.Simulator.CreatedTasks.Values.Should().ContainSingle().Subject)["input"]!;
        string UrlOf(int size) => $"{run.Simulator.UploadBaseUrl.AbsoluteUri}uploads/{run.Simulator.Uploads.Single(u => u.Size == size).FileId}/";
        ((string?)input[tail]).Should().StartWith(UrlOf(UploadImages.Jpeg.Length), "the tail image is sent as the URL of its upload");
        ((string?)input[first]).Should().StartWith(UrlOf(UploadImages.Png.Length));
        Mp4.ShouldBeThePlayableSample(File.ReadAllBytes(Path.Combine(run.Folder, result.Stdout.Trim())));
    }

    [Theory]
    [InlineData("missing.png", null, "neither an http(s) URL nor a file that exists")]
    [InlineData("notes.png", "text", "is not image/jpeg or image/png")]
    [InlineData("huge.png", "huge", "bytes, more than the 10485760")]
    public async Task Generate_refuses_a_missing_unsupported_or_oversized_image_before_sending_anything(string name, string? kind, string reason)
    {
        var dir = UploadImages.NewDir();
        if (kind == "text")
        {
            File.WriteAllText(Path.Combine(dir, name), "just some notes");
        }
        else if (kind == "huge")
        {
            using var file = File.Create(Path.Combine(dir, name));
            file.Write(UploadImages.Png);
            file.SetLength(KlingUploadRules.MaxFileBytes + 1);
        }

        using var service = new ConnectionCounter();
        var environment = new Dictionary<string, string> { ["KIE_API_KEY"] = "k", ["KIE_BASE_URL"] = service.Url.AbsoluteUri, ["KIE_UPLOAD_BASE_URL"] = service.Url.AbsoluteUri };

        var result = await KlingInProcess.RunAsync(dir, environment, "generate", "A boat", "--model", "kling/v2-5-turbo-image-to-video-pro", "--image", name, "--no-wait");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain(reason).And.Contain("Nothing was sent");
        service.Accepted.Should().Be(0, "nothing is sent when the image is refused");
    }
}
