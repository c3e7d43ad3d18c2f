using System.Text.Json;
using System.Text.Json.Nodes;

namespace KlingGenerated.Simulator;

/// <summary>
/// The simulator's tasks on disk (<see cref="KlingSimulatorOptions.StateFile"/>). A save writes a temporary file beside
/// it, flushes it to the disk and renames it over the old one, so a crash leaves the old state or the new one, never
/// half of either. A lock file serializes simulators in several processes sharing one state file.
/// </summary>
internal sealed class SimulatorStateFile(string path)
{
    private const int Format = 1;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public sealed record State(IReadOnlyList<SimulatedTask> Tasks, long ExpiredTasks);

    /// <summary>Reads the state; an absent file is an empty state.</summary>
    /// <exception cref="InvalidOperationException">The file is not a state file of this simulator.</exception>
    public State Load()
    {
        if (!File.Exists(Path))
        {
            return new State([], 0);
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(Path))!.AsObject();
            if ((int?)root["format"] != Format)
            {
                throw new FormatException($"format {root["format"]} is not {Format}");
            }

            var tasks = root["tasks"]!.AsArray().Select(t => new SimulatedTask(
                (string)t!["taskId"]!,
                (string)t["keyId"]!,
                (string)t["param"]!,
                (string?)t["callBackUrl"] is { } url ? new Uri(url) : null,
                (bool)t["fails"]!,
                SimulatedTask.FromUnixNanoseconds((long)t["createdAtUnixNanoseconds"]!))).ToList();
            return new State(tasks, (long?)root["expiredTasks"] ?? 0);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException or NullReferenceException or UriFormatException)
        {
            throw new InvalidOperationException($"The simulator state file {Path} cannot be read ({exception.Message}). Move it away to start with no tasks.", exception);
        }
    }

    /// <summary>Replaces the file atomically with <paramref name="state"/>.</summary>
    public void Save(State state)
    {
        var tasks = new JsonArray();
        foreach (var task in state.Tasks.OrderBy(t => t.CreatedAt))
        {
            tasks.Add(new JsonObject
            {
                ["taskId"] = task.TaskId,
                ["keyId"] = task.KeyId,
                ["param"] = task.Param,
                ["callBackUrl"] = task.CallBackUrl?.AbsoluteUri,
                ["fails"] = task.Fails,
                ["createdAtUnixNanoseconds"] = task.CreatedAtUnixNanoseconds,
            });
        }

        var root = new JsonObject { ["format"] = Format, ["expiredTasks"] = state.ExpiredTasks, ["tasks"] = tasks };
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = $"{Path}.{Environment.ProcessId}.tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var writer = new Utf8JsonWriter(stream))
            {
                root.WriteTo(writer);
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    /// <summary>Holds the lock file until disposed; waits up to 10 s for another process to release it.</summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 1000)
            {
                Thread.Sleep(10);
            }
        }
    }
}
