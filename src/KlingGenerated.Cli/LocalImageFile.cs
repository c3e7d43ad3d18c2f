namespace KlingGenerated.Cli;

/// <summary>
/// The checks a local image passes before anything is sent for it (<c>kling generate --image</c>, a batch line's image
/// field): it exists and can be read, is at most the document's upload cap, and is one of the document's media types by
/// its first bytes (<see cref="KlingUploadRules"/>), so a refused file costs nothing.
/// </summary>
internal static class LocalImageFile
{
    /// <summary>Whether a value given for an image is an http(s) URL (sent as it is) rather than a local file (uploaded first).</summary>
    public static bool IsUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";

    /// <summary>What is wrong with the file at <paramref name="path"/> as an image to upload (a phrase such as "is not image/jpeg or image/png ..."), or null.</summary>
    public static string? Problem(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return "is neither an http(s) URL nor a file that exists";
            }

            var length = new FileInfo(path).Length;
            if (length > KlingUploadRules.MaxFileBytes)
            {
                return $"is {length} bytes, more than the {KlingUploadRules.MaxFileBytes} an image may have (the document's x-kling-max-bytes)";
            }

            var head = new byte[16];
            using (var stream = File.OpenRead(path))
            {
                stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }

            return KlingUploadRules.MediaTypeOf(head) is null
                ? $"is not {string.Join(" or ", KlingUploadRules.MediaTypes)} (judged from its first bytes)"
                : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({ExitCodes.OneLine(exception.Message)})";
        }
    }
}
