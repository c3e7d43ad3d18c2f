using System.Security.Cryptography;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// A local image of a batch line: the input field it fills, the file, and the SHA-256 of its bytes when the batch was read.
/// Until it is uploaded the line's request carries <see cref="StandIn"/> in its place, so the line's identity (its ledger
/// key and claim) comes from the file's content, never from the upload's temporary URL: a rerun, a renamed or moved file
/// with the same bytes is the same line and pays nothing twice; new bytes are a new line.
/// </summary>
internal sealed record LineImage(string Field, string Path, string Sha256)
{
    /// <summary>What the line's request holds for the image until it is sent: an http(s) URL that never resolves (RFC 2606 .invalid).</summary>
    public const string StandInPrefix = "https://upload.invalid/sha256/";

    public string StandIn => StandInPrefix + Sha256;
}

/// <summary>
/// Finds the local files in a batch line's image fields (the fields the document marks <c>x-kling-upload</c> for the
/// line's model, <see cref="KlingUploadRules.ImageFieldsOf"/>): any value that is not an http(s) URL (nor empty) is a
/// path, relative to the batch file's folder or absolute. Each is checked as <c>kling generate --image</c> checks one
/// (<see cref="LocalImageFile"/>) while the file is read, so a bad file refuses its line before anything is sent.
/// </summary>
internal sealed class LineImages(string folder)
{
    private readonly Dictionary<string, (string? Sha256, string? Problem)> _files = new(StringComparer.Ordinal);

    /// <summary>
    /// Replaces each local path in <paramref name="input"/> by its image's stand-in and returns the images, or the problem
    /// (naming the field and the file) with no image.
    /// </summary>
    public (IReadOnlyList<LineImage> Images, string? Problem) Resolve(JObject input, string model)
    {
        var images = new List<LineImage>();
        foreach (var (field, _, isList) in KlingUploadRules.ImageFieldsOf(model))
        {
            var values = input[field] switch
            {
                JArray list when isList => list.ToList(),
                JValue single when !isList => [single],
                _ => [], // a value of another type: the line's type check names it
            };
            foreach (var value in values)
            {
                if (value.Type != JTokenType.String || (string)value! is not { Length: > 0 } text || LocalImageFile.IsUrl(text))
                {
                    continue;
                }

                var path = System.IO.Path.GetFullPath(text, folder);
                var (sha256, problem) = Check(path);
                if (problem is not null)
                {
                    return ([], $"\"{field}\" '{Text(text)}' {Text(problem)} (a relative path is read from the batch file's folder, {Text(folder)}); give an http(s) URL or a JPEG or PNG file.");
                }

                var image = new LineImage(field, path, sha256!);
                images.Add(image);
                value.Replace(new JValue(image.StandIn));
            }
        }

        return (images, null);
    }

    /// <summary>A file's SHA-256 or its problem, each file read once per batch.</summary>
    private (string? Sha256, string? Problem) Check(string path)
    {
        if (_files.TryGetValue(path, out var known))
        {
            return known;
        }

        var result = LocalImageFile.Problem(path) is { } problem ? (null, problem) : Hash(path);
        _files[path] = result;
        return result;
    }

    private static (string?, string?) Hash(string path)
    {
        try
        {
            return (Sha256Of(File.ReadAllBytes(path)), null); // at most the document's cap: checked just before
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot be read ({ExitCodes.OneLine(exception.Message)})");
        }
    }

    /// <summary>The lower-case hex SHA-256 of an image's bytes.</summary>
    public static string Sha256Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Text(string value) => Ledger.Text.Safe(value, 120);
}
