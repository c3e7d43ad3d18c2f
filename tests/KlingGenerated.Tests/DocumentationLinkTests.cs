using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// Every relative link of README.md, the docs/ pages and the package READMEs leads somewhere: to a file or folder of the
/// repository, and, when it names an anchor, to a heading of that Markdown file (GitHub's anchor rules).
/// </summary>
public sealed class DocumentationLinkTests
{
    private static readonly Regex Link = new(@"(?<!!)\[[^\]]*\]\(([^)\s]+)\)");

    [Theory]
    [MemberData(nameof(ReadmeSnippets.DocumentNames), MemberType = typeof(ReadmeSnippets))]
    public void Every_relative_link_of_the_document_resolves_to_a_file_and_heading(string document)
    {
        var broken = new List<string>();
        foreach (var target in Links(File.ReadAllText(Path.Combine(Repo.Root, document))))
        {
            if (Regex.IsMatch(target, "^[a-z]+:", RegexOptions.IgnoreCase))
            {
                continue; // https:, mailto: ...: not part of the repository
            }

            var hash = target.IndexOf('#');
            var path = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var file = path.Length == 0
                ? Path.Combine(Repo.Root, document)
                : Path.GetFullPath(Path.Combine(Repo.Root, Path.GetDirectoryName(document)!, Uri.UnescapeDataString(path)));

            if (!File.Exists(file) && !Directory.Exists(file))
            {
                broken.Add($"{target}: no file {Path.GetRelativePath(Repo.Root, file)}");
            }
            else if (anchor is not null && !Anchors(File.ReadAllText(file)).Contains(anchor))
            {
                broken.Add($"{target}: no heading with the anchor #{anchor} in {Path.GetRelativePath(Repo.Root, file)}");
            }
        }

        string.Join("\n", broken).Should().BeEmpty($"every relative link of {document} resolves");
    }

    [Fact]
    public void The_anchor_of_a_heading_follows_GitHubs_rules()
    {
        Anchors("# KlingGenerated\n## Sizes and start-up\n### The task ledger: `tasks`, `wait`, `download`\n## Options\n## Options\n```\n# not a heading\n```\n")
            .Should().BeEquivalentTo(["klinggenerated", "sizes-and-start-up", "the-task-ledger-tasks-wait-download", "options", "options-1"]);
        Links("[a](docs/cli.md) ![img](x.png) `[b](no.md)`\n```\n[c](nope.md)\n```\n[d](#install)")
            .Should().Equal("docs/cli.md", "#install");
    }

    /// <summary>The link targets of a Markdown text, outside code blocks and inline code; images excluded.</summary>
    private static IEnumerable<string> Links(string markdown) =>
        ProseLines(markdown)
            .Select(line => Regex.Replace(line, "`[^`]*`", ""))
            .SelectMany(line => Link.Matches(line).Select(m => m.Groups[1].Value));

    /// <summary>The anchors GitHub gives the headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>();
        foreach (var line in ProseLines(markdown))
        {
            var heading = Regex.Match(line, @"^#{1,6}\s+(.*?)\s*#*\s*$");
            if (!heading.Success)
            {
                continue;
            }

            var slug = Regex.Replace(heading.Groups[1].Value.ToLowerInvariant(), @"[^\p{L}\p{N}\s_-]", "").Replace(' ', '-');
            var n = counts.GetValueOrDefault(slug);
            counts[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }

        return anchors;
    }

    private static IEnumerable<string> ProseLines(string markdown)
    {
        var inFence = false;
        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (!inFence)
            {
                yield return line;
            }
        }
    }
}
