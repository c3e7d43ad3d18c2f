using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KlingGenerated.Simulator;

/// <summary>
/// The simulator's tasks on disk (<see cref="KlingSimulatorOptions.StateFile"/>), as a journal: one JSON line per change
/// (a task created, a reset), appended and flushed to the disk before the change is answered. A create costs one line
/// whatever the number of tasks held, and a reader reads only the lines added since its last read. At start the journal
/// is compacted (expired tasks dropped) by writing a new file beside it and renaming it over the old one, so a crash
/// leaves the old journal or the new one. A lock file serializes simulators in several processes sharing one journal;
/// the first line names the file's generation, so a reader notices a compaction by another process and reads it again.
/// </summary>
internal sealed class SimulatorStateFile(string path)
{
    private const int Format = 2;
    private long _offset;
    private string? _generation;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>One change: a task created, a reset, or (first in a compacted journal) the count of tasks that expired before it.</summary>
    public sealed record Change(SimulatedTask? Task, bool Reset, long Expired, long? ExpiredCredits = null);

    /// <summary>The changes written since the last read (by any process); all of them after a compaction elsewhere. Call under <see cref="Lock"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is not a state file of this simulator.</exception>
    public IReadOnlyList<Change> ReadNew()
    {
        if (!File.Exists(Path))
        {
            _offset = 0;
            _generation = null;
            return [];
        }

        try
        {
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var first = ReadLine(stream, 0, out var afterHeader);
            if (first is null)
            {
                // A journal always starts with a whole header line (compaction renames a finished file into place).
                return stream.Length == 0 ? [] : throw new FormatException("no header line");
            }

            var header = JsonNode.Parse(first)!.AsObject();
            if ((int?)header["format"] == 1)
            {
                // A state file of the earlier format (one JSON document): read it whole, compact() rewrites it as a journal.
                _generation = null;
                _offset = stream.Length;
                return ReadFormat1(File.ReadAllBytes(Path));
            }

            if ((int?)header["format"] != Format)
            {
                throw new FormatException($"format {header["format"]} is not {Format}");
            }

            var generation = (string?)header["generation"];
            var start = generation == _generation && _offset >= afterHeader ? _offset : afterHeader;
            _generation = generation;
            var changes = new List<Change>();
            for (var position = start; ReadLine(stream, position, out var next) is { } line; position = next)
            {
                changes.Add(Parse(JsonNode.Parse(line)!.AsObject()));
                _offset = next;
            }

            _offset = Math.Max(_offset, start);
            return changes;
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException or NullReferenceException or UriFormatException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"The simulator state file {Path} cannot be read ({exception.Message}). Move it away to start with no tasks.", exception);
        }
    }

    /// <summary>Appends one created task and flushes it to the disk. Call under <see cref="Lock"/>, right after <see cref="ReadNew"/>.</summary>
    public void Append(SimulatedTask task) => AppendLine(new JsonObject { ["task"] = ToJson(task) });

    /// <summary>Appends a reset: every task before it is forgotten, by every process that reads it. Call under <see cref="Lock"/>.</summary>
    public void AppendReset() => AppendLine(new JsonObject { ["reset"] = true });

    /// <summary>Rewrites the journal with only <paramref name="live"/> tasks, atomically. Call under <see cref="Lock"/>.</summary>
    public void Compact(IEnumerable<SimulatedTask> live, long expired, long expiredCredits)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = $"{Path}.{Environment.ProcessId}.tmp";
        var generation = Guid.NewGuid().ToString("N");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            WriteLine(stream, new JsonObject { ["format"] = Format, ["generation"] = generation });
            WriteLine(stream, new JsonObject { ["expired"] = expired, ["expiredCredits"] = expiredCredits });
            foreach (var task in live.OrderBy(t => t.CreatedAt))
            {
                WriteLine(stream, new JsonObject { ["task"] = ToJson(task) });
            }

            stream.Flush(flushToDisk: true);
            _offset = stream.Length;
        }

        File.Move(temporary, Path, overwrite: true);
        _generation = generation;
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

    private void AppendLine(JsonObject change)
    {
        if (!File.Exists(Path))
        {
            Compact([], 0, 0);
        }

        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        WriteLine(stream, change);
        stream.Flush(flushToDisk: true);
        _offset = stream.Length;
    }

    private static void WriteLine(Stream stream, JsonObject node)
    {
        using (var writer = new Utf8JsonWriter(stream))
        {
            node.WriteTo(writer);
        }

        stream.WriteByte((byte)'\n');
    }

    /// <summary>The complete line (ending with '\n') at <paramref name="position"/>, or null; a line still being written is not read.</summary>
    private static string? ReadLine(FileStream stream, long position, out long next)
    {
        next = position;
        stream.Position = position;
        var bytes = new List<byte>(512);
        int value;
        while ((value = stream.ReadByte()) >= 0)
        {
            if (value == '\n')
            {
                next = stream.Position;
                return Encoding.UTF8.GetString([.. bytes]);
            }

            bytes.Add((byte)value);
        }

        return null;
    }

    private static Change Parse(JsonObject line) =>
        line["task"] is JsonObject task ? new Change(FromJson(task), false, 0)
        : line["reset"] is not null ? new Change(null, true, 0)
        : line["expired"] is { } expired ? new Change(null, false, (long)expired, (long?)line["expiredCredits"])
        : throw new FormatException($"unknown line {line.ToJsonString()}");

    private static List<Change> ReadFormat1(byte[] bytes)
    {
        var root = JsonNode.Parse(bytes)!.AsObject();
        var changes = new List<Change> { new(null, false, (long?)root["expiredTasks"] ?? 0) };
        changes.AddRange(root["tasks"]!.AsArray().Select(t => new Change(FromJson(t!.AsObject()), false, 0)));
        return changes;
    }

    private static JsonObject ToJson(SimulatedTask task) => new()
    {
        ["taskId"] = task.TaskId,
        ["keyId"] = task.KeyId,
        ["param"] = task.Param,
        ["callBackUrl"] = task.CallBackUrl?.AbsoluteUri,
        ["fails"] = task.Fails,
        ["createdAtUnixNanoseconds"] = task.CreatedAtUnixNanoseconds,
    };

    private static SimulatedTask FromJson(JsonObject t) => new(
        (string)t["taskId"]!,
        (string)t["keyId"]!,
        (string)t["param"]!,
        (string?)t["callBackUrl"] is { } url ? new Uri(url) : null,
        (bool)t["fails"]!,
        SimulatedTask.FromUnixNanoseconds((long)t["createdAtUnixNanoseconds"]!));
}
