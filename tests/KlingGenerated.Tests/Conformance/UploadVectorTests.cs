using System.ComponentModel.DataAnnotations;
using System.Globalization;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// openapi/conformance/uploads.json: each upload call sends exactly the documented request (a multipart form or a JSON
/// body), refuses a file the document rules out before sending anything, and reads the answer as the vector says.
/// </summary>
[Collection("WireMock")]
public sealed class UploadVectorTests(WireMockFixture wireMock)
{
    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("uploads");

    /// <summary>A vector's file: its base64 bytes, then zero bytes up to <c>padTo</c> when given.</summary>
    internal static byte[] FileOf(JObject input)
    {
        var head = Convert.FromBase64String((string)input["file"]!["base64"]!);
        var bytes = new byte[Math.Max(head.Length, (int?)input["file"]!["padTo"] ?? 0)];
        head.CopyTo(bytes, 0);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task An_upload_call_sends_the_documented_request_or_refuses_the_file_before_sending_and_reads_the_answer_as_the_vector_says(string id)
    {
        var vector = ConformanceVectors.Get("uploads", id);
        var input = (JObject)vector["input"]!;
        var expect = (JObject)vector["expect"]!;
        var client = wireMock.NewClient(o => o.UploadBaseUrl = wireMock.BaseUrl);
        if (vector["http"] is JObject http)
        {
            wireMock.AnswerRaw("/*", (string)http["body"]!, (int)http["status"]!, (string)http["contentType"]!);
        }

        var (fileName, uploadPath) = ((string?)input["fileName"], (string)input["uploadPath"]!);
        Func<Task<KlingUploadedFile>> call = (string)vector["operation"]! switch
        {
            "UploadFileStream" => () => client.UploadFileAsync(new MemoryStream(FileOf(input)), fileName!, uploadPath),
            "UploadFileBase64" => () => client.UploadFileBase64Async(FileOf(input), fileName!, uploadPath),
            "UploadFileFromUrl" => () => client.UploadFileFromUrlAsync(new Uri((string)input["fileUrl"]!), uploadPath, fileName),
            var other => throw new InvalidDataException($"{id}: unknown operation {other}"),
        };

        switch ((string)expect["outcome"]!)
        {
            case "success":
                var stored = await call();
                stored.FileUrl.Should().Be(new Uri((string)expect["fileUrl"]!));
                stored.ExpiresAt.Should().Be(DateTimeOffset.Parse((string)expect["expiresAt"]!, CultureInfo.InvariantCulture));
                break;
            case "error":
                var error = (await call.Should().ThrowAsync<KlingApiException>()).Which;
                error.Kind.ToString().Should().Be((string)expect["kind"]!);
                error.Code.Should().Be((int)expect["code"]!);
                error.HttpStatus.Should().Be((int)expect["httpStatus"]!);
                error.IsRetryable.Should().Be((bool)expect["retryable"]!);
                break;
            default:
                (await call.Should().ThrowAsync<ValidationException>()).Which.Message.Should().Contain((string)expect["mentions"]!);
                wireMock.Requests.Should().BeEmpty("a refused upload sends nothing");
                return;
        }

        var sent = wireMock.Requests.Should().ContainSingle().Subject.RequestMessage;
        sent.Headers!["Authorization"].Should().Equal($"Bearer {WireMockFixture.ApiKey}");
        if (expect["request"] is not JObject request)
        {
            return;
        }

        sent.Method.Should().Be((string)request["method"]!);
        sent.AbsolutePath.Should().Be((string)request["path"]!);
        if (request["body"] is JObject body)
        {
            ConformanceVectors.JsonEquals(JToken.Parse(sent.Body!), body).Should().BeTrue("{0}: the body sent was {1}", id, sent.Body);
        }

        if (request["form"] is JObject form)
        {
            var (fields, file) = await ReadFormAsync(sent.Headers["Content-Type"].Single(), sent.BodyAsBytes!);
            fields.Should().BeEquivalentTo(((JObject)form["fields"]!).Properties().ToDictionary(p => p.Name, p => (string)p.Value!));
            file.Should().NotBeNull("{0}: the form has a file part", id);
            file!.Value.FileName.Should().Be((string)form["file"]!["fileName"]!);
            file.Value.ContentType.Should().Be((string)form["file"]!["contentType"]!);
            file.Value.Bytes.Should().Equal(Convert.FromBase64String((string)form["file"]!["base64"]!));
        }
    }

    /// <summary>A multipart form's text fields and its <c>file</c> part, as a server reads them.</summary>
    private static async Task<(Dictionary<string, string> Fields, (string? FileName, string? ContentType, byte[] Bytes)? File)> ReadFormAsync(string contentType, byte[] body)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        (string?, string?, byte[])? file = null;
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy);
            if (disposition.Name.Value == "file")
            {
                file = (HeaderUtilities.RemoveQuotes(disposition.FileName).Value, section.ContentType, copy.ToArray());
            }
            else
            {
                fields[disposition.Name.Value!] = System.Text.Encoding.UTF8.GetString(copy.ToArray());
            }
        }

        return (fields, file);
    }
}
