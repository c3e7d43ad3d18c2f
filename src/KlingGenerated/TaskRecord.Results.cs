using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated;

// CUSTOM: the service returns result URLs as JSON text inside resultJson; parse it once here for callers.
public partial class TaskRecord
{
    /// <summary>The result URLs from <see cref="ResultJson"/>; empty while there is no result.</summary>
    /// <exception cref="FormatException"><see cref="ResultJson"/> is not the JSON text <c>{"resultUrls":[...]}</c>.</exception>
    public IReadOnlyList<Uri> GetResultUrls()
    {
        if (string.IsNullOrWhiteSpace(ResultJson))
        {
            return [];
        }

        JToken parsed;
        try
        {
            parsed = JToken.Parse(ResultJson);
        }
        catch (JsonException exception)
        {
            throw new FormatException($"Task {TaskId}: resultJson is not valid JSON ({exception.Message}). Query the task again; if it persists, report the raw resultJson.", exception);
        }

        if (parsed is not JObject { } result || result["resultUrls"] is not { } urls || urls.Type == JTokenType.Null)
        {
            return parsed is JObject ? [] : throw new FormatException($"Task {TaskId}: resultJson should be an object with resultUrls, not {parsed.Type}.");
        }

        if (urls is not JArray array)
        {
            throw new FormatException($"Task {TaskId}: resultJson.resultUrls should be an array, not {urls.Type}.");
        }

        return array.Select((url, index) =>
            // Only http(s): on Unix "/x.mp4" parses as file:///x.mp4, and a UNC path as file://host/.
            url.Type == JTokenType.String && Uri.TryCreate((string?)url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? uri
                : throw new FormatException($"Task {TaskId}: resultJson.resultUrls[{index}] is not an absolute http or https URL."))
            .ToArray();
    }
}
