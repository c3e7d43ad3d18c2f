using KlingGenerated.Tests.Infrastructure;
using KlingGenerated.Tests.Uploads;

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
