using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Validation before sending can be turned off; the boundaries themselves are in Conformance/ValidationVectorTests.</summary>
[Collection("WireMock")]
public sealed class ValidationTests(WireMockFixture wireMock)
{
    private const string CreateTask = "/api/v1/jobs/createTask";

    private static CreateTaskRequest With(Action<CreateTaskInput> change, Uri? callBackUrl = null)
    {
        var input = new CreateTaskInput { Prompt = "A paper boat on a rainy street." };
        change(input);
        return new CreateTaskRequest { Input = input, CallBackUrl = callBackUrl };
    }

    // The boundary values themselves (lengths in UTF-16 code units, every tenth of cfg_scale, off-step, out of range,
    // NaN, enums, callback URLs) are the conformance vectors: see Conformance/ValidationVectorTests.cs.

    [Fact]
    public async Task With_validation_turned_off_the_service_judges_an_invalid_request()
    {
        var client = wireMock.NewClient(o => o.ValidateRequests = false);
        wireMock.Answer(CreateTask, JObject.Parse("""{"code":200,"msg":"success","data":{"taskId":"task_1"}}"""));

        await client.CreateTaskAsync(With(i => i.CfgScale = 0.55), CancellationToken.None);

        ((double)JToken.Parse(wireMock.Requests.Single().RequestMessage.Body!).SelectToken("input.cfg_scale")!).Should().Be(0.55);
    }
}
