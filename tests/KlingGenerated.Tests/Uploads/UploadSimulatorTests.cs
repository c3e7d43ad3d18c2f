using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Uploads;

/// <summary>The simulator's upload operations, through the library: stored, served on loopback, bounded, URLs never fetched.</summary>
[Collection("Simulator")]
public sealed class UploadSimulatorTests(SimulatorFixture fixture)
{
    private KlingClient Client(KlingSimulator? simulator = null)
    {
        var target = simulator ?? fixture.Simulator;
        return new KlingClient(new KlingClientOptions { ApiKey = target.ApiKey, BaseUrl = target.BaseUrl, UploadBaseUrl = target.UploadBaseUrl });
    }

    public static TheoryData<string> ImageToVideoModels() => [.. KlingModels.All.Select(m => m.Id).Where(m => KlingUploadRules.ImageFieldsOf(m).Any(f => f.Required))];

    [Theory]
    [MemberData(nameof(ImageToVideoModels))]
    public async Task A_local_image_uploaded_through_the_library_becomes_the_first_frame_of_a_task_that_ends_in_an_MP4(string model)
    {
        var dir = UploadImages.NewDir();
        var image = UploadImages.WriteTemp(dir, "boat.png", UploadImages.Png);
        var client = Client();

        var stored = await client.UploadFileAsync(image);
        var (field, _, isList) = KlingUploadRules.ImageFieldsOf(model).First(f => f.Required);
        var input = new JObject { ["prompt"] = "The paper boat sets off.", [field] = isList ? new JArray(stored.FileUrl.AbsoluteUri) : stored.FileUrl.AbsoluteUri };
        foreach (var required in KlingModels.Find(model)!.Inputs.Where(f => f.Required && f.Name != "prompt" && f.Name != field))
        {
            input[required.Name] = required.Type == "boolean" ? false : required.Values![0];
        }

        var record = await client.GenerateVideoAsync(new JObject { ["model"] = model, ["input"] = input }.ToObject<VideoTaskRequest>()!, SimulatorFixture.FastPolling, cancellationToken: CancellationToken.None);

        stored.FileUrl.IsLoopback.Should().BeTrue();
        stored.ExpiresAt.Should().BeAfter(DateTimeOffset.UtcNow);
        using var http = new HttpClient();
        (await http.GetByteArrayAsync(stored.FileUrl)).Should().Equal(UploadImages.Png, "the simulator serves the stored file");
        JObject.Parse(record.Param!)["input"]![field]!.ToString(Newtonsoft.Json.Formatting.None).Should().Contain(stored.FileUrl.AbsoluteUri);
        var video = Path.Combine(dir, "video.mp4");
        await client.DownloadResultToFileAsync(record.GetResultUrls().Single(), video);
        Mp4.ShouldBeThePlayableSample(File.ReadAllBytes(video));
    }

    [Fact]
    public async Task A_url_upload_is_recorded_and_the_simulator_never_fetches_the_url()
    {
        using var counter = new ConnectionCounter();
        var client = Client();

        var stored = await client.UploadFileFromUrlAsync(new Uri(counter.Url, "boat.png"));

        stored.FileUrl.IsLoopback.Should().BeTrue();
        fixture.Simulator.Uploads.Should().Contain(u => u.SourceUrl == new Uri(counter.Url, "boat.png").AbsoluteUri);
        await Task.Delay(200); // a fetch, had one been started, would have connected by now
        counter.Accepted.Should().Be(0, "the simulator never fetches a URL it is given");
    }

    [Fact]
    public async Task The_simulator_keeps_a_bounded_number_of_uploads_and_refuses_more_with_a_clear_error()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { MaxUploads = 1 });
        var client = Client(simulator);
        await client.UploadFileAsync(new MemoryStream(UploadImages.Png), "first.png");

        var error = (await client.Invoking(c => c.UploadFileAsync(new MemoryStream(UploadImages.Png), "second.png")).Should().ThrowAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("MaxUploads");
        simulator.Uploads.Should().ContainSingle();
        await client.UploadFileAsync(new MemoryStream(UploadImages.Jpeg), "first.png"); // the same name overwrites: still one file
        simulator.Uploads.Should().ContainSingle().Which.Size.Should().Be(UploadImages.Jpeg.Length);
    }

    [Fact]
    public async Task The_simulator_refuses_a_file_that_is_not_an_image_with_success_false()
    {
        using var http = new HttpClient();
        using var form = new MultipartFormDataContent { { new ByteArrayContent("not an image"u8.ToArray()), "file", "x.png" }, { new StringContent("kling-generated/uploads"), "uploadPath" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Simulator.UploadBaseUrl, "api/file-stream-upload")) { Content = form };
        request.Headers.Authorization = new("Bearer", fixture.Simulator.ApiKey);

        var answer = JObject.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());

        ((bool)answer["success"]!).Should().BeFalse();
        ((string)answer["msg"]!).Should().Contain("image/jpeg or image/png");
    }
}
