using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KlingGenerated.Cli.Ledger;
using KlingGenerated.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// One request of a batch file: its line, the user's id (if any), the key the ledger knows it by across copies, renames
/// and folders (its id, else its content), and the request.
/// </summary>
internal sealed record BatchLine(int Number, string? UserId, string Key, VideoTaskRequest Request)
{
    /// <summary>The line's local images, uploaded just before it is sent; <see cref="Request"/> holds their stand-ins until then.</summary>
    public IReadOnlyList<LineImage> Images { get; init; } = [];
}

/// <summary>A problem with one line of a batch file.</summary>
internal sealed record BatchLineError(int Number, string Problem);

/// <summary>
/// Reads a batch file: JSON Lines (one object per line: an optional <c>id</c>, an optional <c>model</c> and that model's
/// createTask <c>input</c> fields), or CSV with a header naming a <c>prompt</c> column (and optionally <c>id</c>, <c>model</c>
/// and input fields). The file must be UTF-8; every line is checked (strict fields of its model, <see cref="BatchInput"/>;
/// then its model's request schema in openapi/kling.openapi.yaml, as the client would check it) before anything is sent.
/// </summary>
internal static class BatchFile
{
    /// <summary>Reads and checks every line; <paramref name="run"/> names an intentional re-run (--rerun), whose lines are new keys.</summary>
    public static (List<BatchLine> Lines, List<BatchLineError> Errors) Read(string path, string? run = null)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"the batch file '{Text(path)}' does not exist; pass a JSON Lines (.jsonl) or CSV (.csv) file.");
        }

        var text = Decode(File.ReadAllBytes(path), path);
        var rows = Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? CsvRows.Read(text) : FromJsonLines(text);
        var lines = new List<BatchLine>();
        var errors = new List<BatchLineError>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        var images = new LineImages(Path.GetDirectoryName(Path.GetFullPath(path))!);
        foreach (var (number, input, problem) in rows)
        {
            if ((problem ?? BatchInput.Problem(input!)) is { } refused)
            {
                errors.Add(new BatchLineError(number, refused));
                continue;
            }

            string? userId = null;
            if (input!.Property("id") is { } idProperty)
            {
                if (idProperty.Value.Type is not (JTokenType.String or JTokenType.Integer) || string.IsNullOrWhiteSpace(idProperty.Value.ToString()))
                {
                    errors.Add(new BatchLineError(number, "\"id\" must be a non-empty string (or integer) of your choosing."));
                    continue;
                }

                userId = idProperty.Value.ToString().Trim();
                idProperty.Remove();
                if (ids.TryGetValue(userId, out var first))
                {
                    errors.Add(new BatchLineError(number, $"the id \"{Text(userId)}\" is already used on line {first}; ids must be unique in a batch."));
                    continue;
                }

                ids[userId] = number;
            }

            var model = BatchInput.ModelOf(input).Model!.Id;
            input.Remove(BatchInput.ModelKey);
            var (lineImages, imageProblem) = images.Resolve(input, model);
            if (imageProblem is not null)
            {
                errors.Add(new BatchLineError(number, imageProblem));
                continue;
            }

            var body = new JObject { ["model"] = model, ["input"] = input };
            var problems = KlingOpenApiContract.ValidateOperationBody("CreateTask", new MemoryStream(Encoding.UTF8.GetBytes(body.ToString(Formatting.None))));
            if (problems.Count > 0)
            {
                errors.Add(new BatchLineError(number, string.Join(" ", problems)));
                continue;
            }

            VideoTaskRequest request;
            try
            {
                request = body.ToObject<VideoTaskRequest>()!; // the generated converter reads the model's own request type
            }
            catch (JsonException exception)
            {
                errors.Add(new BatchLineError(number, JsonProblem(exception)));
                continue;
            }

            // Known by its id, else by its content (the request as sent, so key order and spacing do not matter; a local image
            // by its bytes' hash, not by the upload's URL) and which repeat of it this is: a copy, a rename or another folder
            // is the same batch; an edit of one line (or of its image) is one new line.
            var key = userId is not null ? "id:" + userId : ContentKey(request);
            if (userId is null)
            {
                occurrences[key] = occurrences.GetValueOrDefault(key) + 1;
                key += "#" + occurrences[key].ToString(CultureInfo.InvariantCulture);
            }

            lines.Add(new BatchLine(number, userId, run is null ? key : $"{key}@{run}", request) { Images = lineImages });
        }

        return (lines, errors);
    }

    /// <summary>The key of a line without an id: a hash of the request as the ledger stores it.</summary>
    public static string ContentKey(VideoTaskRequest request) =>
        "sha:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LedgeredCreate.Serialize(request))))[..16];

    /// <summary>The file's text; a file that is not UTF-8 is refused whole (its line named), as its prompts would reach the service garbled.</summary>
    private static string Decode(byte[] bytes, string path)
    {
        var chars = new char[bytes.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
        {
            var line = 1 + bytes.AsSpan(0, read).Count((byte)'\n');
            throw new UsageException($"the batch file '{Text(path)}' is not valid UTF-8 (line {line.ToString(CultureInfo.InvariantCulture)}); nothing was sent. Save it as UTF-8 (in a spreadsheet: CSV UTF-8).");
        }

        return new string(chars, 0, written);
    }

    private static IEnumerable<(int Number, JObject? Input, string? Problem)> FromJsonLines(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0)
            {
                continue;
            }

            var (input, problem) = JsonLine.Read(line);
            yield return (i + 1, input, problem);
        }
    }

    private static string Text(string value) => Ledger.Text.Safe(value, 60);

    /// <summary>
    /// A line whose checked fields still do not make a request, in the user's terms: from the exception's path, never its
    /// message (Newtonsoft's text ends in "Path '', line 0, position 0.", meaningless to a user).
    /// </summary>
    internal static string JsonProblem(JsonException exception)
    {
        var path = exception switch
        {
            JsonSerializationException serialization => serialization.Path,
            JsonReaderException reader => reader.Path,
            _ => null,
        };
        return string.IsNullOrEmpty(path)
            ? "cannot be read as a createTask request; check each field's type against `kling models`."
            : $"the field '{Text(path.StartsWith("input.", StringComparison.Ordinal) ? path["input.".Length..] : path)}' cannot be read as the createTask request needs it; check its type against `kling models`.";
    }
}
