using System.ComponentModel.DataAnnotations;
using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Uploads;

/// <summary>What the client sends for each upload operation, and what it makes of the answers (WireMock).</summary>
[Collection("WireMock")]
public sealed class UploadContractTests(WireMockFixture fixture)
{
    private static JObject Stored(string fileUrl = "https://tempfile.redpandaai.co/kling-generated/uploads/boat.png") => new()
    {
        ["success"] = true,
        ["code"] = 200,
        ["msg"] = "File uploaded successfully",
        ["data"] = new JObject
        {
            ["fileId"] = "file_1",
            ["fileName"] = "boat.png",
            ["originalName"] = "boat.png",
            ["fileSize"] = 68,
            ["mimeType"] = "image/png",
            ["uploadPath"] = "kling-generated/uploads",
            ["fileUrl"] = fileUrl,
            ["downloadUrl"] = fileUrl,
            ["uploadTime"] = "2026-12-07T16:00:00.000Z",
            ["expiresAt"] = "2026-12-10T16:00:00.000Z",
        },
    };

    private KlingClient Client() => fixture.NewClient(o => o.UploadBaseUrl = fixture.BaseUrl);

    [Fact]
    public async Task A_file_upload_sends_the_bytes_as_multipart_to_the_upload_server_with_the_key_and_reports_progress()
    {
        var client = Client();
        fixture.Answer("/api/file-stream-upload", Stored());
        var reported = new List<long>();

        var stored = await client.UploadFileAsync(new MemoryStream(UploadImages.Png), "boat.png", progress: new SyncProgress<long>(reported.Add));

        stored.FileUrl.Should().Be(new Uri("https://tempfile.redpandaai.co/kling-generated/uploads/boat.png"));
        stored.ExpiresAt.Should().Be(DateTimeOffset.Parse("2026-12-10T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sent = fixture.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Method.Should().Be("POST");
        sent.AbsolutePath.Should().Be("/api/file-stream-upload");
        sent.Headers!["Authorization"].Should().ContainSingle().Which.Should().Be("Bearer " + WireMockFixture.ApiKey);
        sent.Headers["Content-Type"].Single().Should().StartWith("multipart/form-data; boundary=");
        var body = sent.BodyAsBytes!;
        var text = Encoding.Latin1.GetString(body);
        text.Should().Contain("name=file").And.Contain("filename=boat.png").And.Contain("Content-Type: image/png")
            .And.Contain("name=uploadPath").And.Contain("kling-generated/uploads").And.Contain("name=fileName");
        text.Should().Contain(Encoding.Latin1.GetString(UploadImages.Png), "the file's bytes are sent as they are");
        reported.Should().StartWith(0).And.EndWith(UploadImages.Png.Length);
    }

    [Fact]
    public async Task A_base64_upload_sends_a_data_url_of_the_sniffed_type_as_json()
    {
        var client = Client();
        fixture.Answer("/api/file-base64-upload", Stored());

        await client.UploadFileBase64Async(UploadImages.Jpeg, "frame.jpg");

        var sent = JObject.Parse(fixture.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body!);
        ((string)sent["base64Data"]!).Should().Be("data:image/jpeg;base64," + Convert.ToBase64String(UploadImages.Jpeg));
        ((string)sent["uploadPath"]!).Should().Be(KlingClient.DefaultUploadPath);
        ((string)sent["fileName"]!).Should().Be("frame.jpg");
    }

    [Fact]
    public async Task A_url_upload_sends_the_url_for_the_service_to_fetch()
    {
        var client = Client();
        fixture.Answer("/api/file-url-upload", Stored());

        await client.UploadFileFromUrlAsync(new Uri("https://example.com/boat.png"), fileName: "boat.png");

        var sent = JObject.Parse(fixture.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body!);
        ((string)sent["fileUrl"]!).Should().Be("https://example.com/boat.png");
        ((string)sent["fileName"]!).Should().Be("boat.png");
    }

    [Fact]
    public async Task Success_false_inside_an_http_200_with_code_200_is_an_error_that_charged_nothing()
    {
        var client = Client();
        fixture.Answer("/api/file-stream-upload", new JObject { ["success"] = false, ["code"] = 200, ["msg"] = "storage is full", ["data"] = null });

        var error = (await client.Invoking(c => c.UploadFileAsync(new MemoryStream(UploadImages.Png), "boat.png")).Should().ThrowAsync<KlingApiException>()).Which;

        error.Outcome.Rule.Should().Be("success-false");
        error.Outcome.IsBillable.Should().BeFalse();
        error.Outcome.TaskMayExist.Should().BeFalse();
        error.Message.Should().Contain("storage is full");
    }

    [Fact]
    public async Task A_refusal_inside_an_http_200_is_classified_by_its_code()
    {
        var client = Client();
        fixture.Answer("/api/file-base64-upload", new JObject { ["success"] = false, ["code"] = 401, ["msg"] = "bad key", ["data"] = null });

        var error = (await client.Invoking(c => c.UploadFileBase64Async(UploadImages.Png, "boat.png")).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.Unauthorized);
    }

    [Fact]
    public async Task A_file_url_that_is_not_an_absolute_http_url_is_not_returned()
    {
        var client = Client();
        fixture.Answer("/api/file-stream-upload", Stored("file:///etc/passwd"));

        var error = (await client.Invoking(c => c.UploadFileAsync(new MemoryStream(UploadImages.Png), "boat.png")).Should().ThrowAsync<KlingApiException>()).Which;

        error.Message.Should().Contain("not an absolute http(s) URL");
    }

    [Fact]
    public async Task A_file_that_is_neither_jpeg_nor_png_is_refused_before_anything_is_sent()
    {
        var client = Client();
        fixture.Answer("/api/file-stream-upload", Stored());

        await client.Invoking(c => c.UploadFileAsync(new MemoryStream(Encoding.UTF8.GetBytes("GIF89a not an allowed image")), "boat.png"))
            .Should().ThrowAsync<ValidationException>().WithMessage("*not image/jpeg or image/png*");

        fixture.Server.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task A_file_larger_than_the_document_allows_is_refused_before_anything_is_sent()
    {
        var client = Client();
        fixture.Answer("/api/file-stream-upload", Stored());
        var tooLarge = new byte[KlingUploadRules.MaxFileBytes + 1];
        UploadImages.Png.CopyTo(tooLarge, 0);

        await client.Invoking(c => c.UploadFileAsync(new MemoryStream(tooLarge), "boat.png"))
            .Should().ThrowAsync<ValidationException>().WithMessage($"*more than the {KlingUploadRules.MaxFileBytes} bytes*");

        fixture.Server.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public void The_upload_limits_and_server_are_read_from_the_document()
    {
        KlingUploadRules.MaxFileBytes.Should().Be(10 * 1024 * 1024);
        KlingUploadRules.MediaTypes.Should().BeEquivalentTo("image/jpeg", "image/png");
        KlingClientOptions.DefaultUploadBaseUrl.Should().Be(new Uri("https://kieai.redpandaai.co"));
        KlingUploadRules.ImageFieldsOf("kling-2.6/image-to-video").Should().Equal([("image_urls", true, true)]);
        KlingUploadRules.ImageFieldsOf("kling/v2-5-turbo-image-to-video-pro").Should().Equal([("image_url", true, false), ("tail_image_url", false, false)]);
        KlingUploadRules.ImageFieldsOf("kling/v2-5-turbo-text-to-video-pro").Should().BeEmpty();
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
