// The generator matrix's C# end-to-end run, written against the client Kiota generates from the document:
//   KiotaSmoke BASE_URL API_KEY run          create -> wait -> result; prints "RESULT <url>"
//   KiotaSmoke BASE_URL API_KEY state TASKID prints "STATE <state>" as the generated model gives it
using System.Net.Http.Headers;
using System.Text.Json;
using KlingKiota;
using KlingKiota.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

var (baseUrl, apiKey, mode) = (args[0], args[1], args[2]);
using var http = new HttpClient();
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
var client = new KlingClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = baseUrl });

if (mode == "state")
{
    var record = await client.Api.V1.Jobs.RecordInfo.GetAsync(request => request.QueryParameters.TaskId = args[3]);
    string? state = record?.Data?.State; // the open state is a plain string: an unlisted one arrives as its text
    Console.WriteLine($"STATE {state}");
    return 0;
}

var created = await client.Api.V1.Jobs.CreateTask.PostAsync(new CreateTaskRequest
{
    Model = KlingModel.KlingV25TurboTextToVideoPro,
    Input = new CreateTaskInput { Prompt = "A paper boat drifting down a rain-soaked street at dusk.", Duration = VideoDuration.FiveSeconds },
});
var taskId = created?.Data?.TaskId ?? throw new InvalidOperationException($"createTask answered code {created?.Code} without a task id");
for (var i = 0; i < 600; i++)
{
    var record = await client.Api.V1.Jobs.RecordInfo.GetAsync(request => request.QueryParameters.TaskId = taskId);
    switch (record?.Data?.State)
    {
        case "success":
            var url = JsonDocument.Parse(record.Data.ResultJson!).RootElement.GetProperty("resultUrls")[0].GetString();
            Console.WriteLine($"RESULT {url}");
            return 0;
        case "fail":
            Console.WriteLine($"FAILED {record.Data.FailCode} {record.Data.FailMsg}");
            return 1;
    }

    await Task.Delay(100);
}

Console.WriteLine("TIMEOUT");
return 1;
