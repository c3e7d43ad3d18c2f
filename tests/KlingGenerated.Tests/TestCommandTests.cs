using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// Issue 8, finding 24: the README's test command passes on a machine with only the .NET SDK, Node and npm, and under
/// load. So the tests need no ffprobe (the MP4 check is managed code), and no test asserts elapsed time.
/// </summary>
public sealed class TestCommandTests
{
    private static IEnumerable<string> TestSources() =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void no_test_asserts_elapsed_time_or_a_time_ratio()
    {
        // An assertion on a stopwatch, an Elapsed value or a time ratio: flaky under load, so it belongs in benchmarks/.
        var timing = new Regex(@"(Elapsed|Stopwatch|\btime\b|[Rr]atio)[^;]*\.Should\(\)\.(Be|NotBe)(Less|Greater|InRange|Approximately)");

        var offenders = TestSources()
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(x => timing.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(Repo.Root, x.path)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();

        offenders.Should().BeEmpty("elapsed time is measured in benchmarks/, never asserted in a test");
        TestSources().Should().Contain(path => path.EndsWith("SoakTests.cs", StringComparison.Ordinal), "the scan reads the real test sources");
    }

    [Fact]
    public void every_test_is_named_after_the_behaviour_it_checks_not_a_finding_or_issue_number()
    {
        // A name such as Finding04_... or Issue11_... points at a list outside the repository; say what is checked instead.
        var origin = new Regex(@"\b(Task|void)\s+(Finding|Issue)\d+_");

        var offenders = TestSources()
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(x => origin.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(Repo.Root, x.path)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();

        offenders.Should().BeEmpty("tests are named after the behaviour they check");
        origin.IsMatch("    public async Task " + "Finding04_The_download_sends_no_key()").Should().BeTrue("the scan recognises the old names");
    }

    [Fact]
    public void no_test_starts_ffprobe_or_ffmpeg()
    {
        var offenders = TestSources()
            .Where(path => !path.EndsWith(nameof(TestCommandTests) + ".cs", StringComparison.Ordinal) && Regex.IsMatch(File.ReadAllText(path), "\"ff(probe|mpeg)\""))
            .ToList();

        offenders.Should().BeEmpty("the MP4 checks are managed code (Infrastructure/Mp4.cs), so a machine without ffmpeg passes");
        File.ReadAllText(Path.Combine(Repo.Root, ".ci", "run")).Should().NotContain("ffprobe", "CI installs nothing the tests do not use");
    }

    [Fact]
    public void the_managed_MP4_check_reads_the_simulators_H264_and_AAC_tracks()
    {
        var mp4 = Mp4.Read(KlingSimulator.SampleVideo());

        mp4.Tracks.Select(t => (t.Handler, t.Codec)).Should().BeEquivalentTo([("vide", "avc1"), ("soun", "mp4a")]);
        Mp4.ShouldBeThePlayableSample(KlingSimulator.SampleVideo());
    }

    [Fact]
    public void the_managed_MP4_check_rejects_a_truncated_file_missing_media_data_and_another_codec()
    {
        var sample = KlingSimulator.SampleVideo();
        var truncated = sample[..(sample.Length - 100)];
        var withoutMedia = WithoutTopLevelBox(sample, "mdat");
        var otherCodec = (byte[])sample.Clone();
        var stsd = IndexOf(otherCodec, "stsd"u8);
        var avc1 = stsd + IndexOf(otherCodec[stsd..], "avc1"u8);
        "hev1"u8.CopyTo(otherCodec.AsSpan(avc1));

        FluentActions.Invoking(() => Mp4.Read(truncated)).Should().Throw<FormatException>().WithMessage("*invalid size*");
        FluentActions.Invoking(() => Mp4.Read(withoutMedia)).Should().Throw<FormatException>().WithMessage("*media data*");
        FluentActions.Invoking(() => Mp4.ShouldBeThePlayableSample(otherCodec)).Should().Throw<Exception>().WithMessage("*avc1*");
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> text) => data.AsSpan().IndexOf(text) is >= 0 and var i ? i : throw new InvalidOperationException("not found");

    private static byte[] WithoutTopLevelBox(byte[] file, string type)
    {
        var output = new List<byte>();
        var offset = 0;
        while (offset + 8 <= file.Length)
        {
            var size = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset));
            if (System.Text.Encoding.ASCII.GetString(file, offset + 4, 4) != type)
            {
                output.AddRange(file.AsSpan(offset, size).ToArray());
            }

            offset += size;
        }

        return [.. output];
    }
}
