namespace GrpcSync.Cli.Output;

/// <summary>
/// Which columns of a list fit the terminal: left to right (the most useful first), each one whole, skipping a column
/// that would not fit so the ones after it still may. The first column (the id) is always kept. A wrapping column
/// counts with a narrow minimum, since it can fold. Squeezing every column instead (what a table does on its own)
/// breaks ids across lines and leaves columns a single character wide.
/// </summary>
public static class TableFit
{
    /// <summary>Padding on both sides and one border per column.</summary>
    private const int ColumnChrome = 3;

    /// <summary>The narrowest a wrapping column is counted (it folds onto more lines below that).</summary>
    private const int WrapMinimum = 12;

    /// <summary>The indexes of the columns to show, in order.</summary>
    public static IReadOnlyList<int> Choose(IReadOnlyList<Column> columns, IReadOnlyList<IReadOnlyList<string>> rows, int width)
    {
        var used = 1; // the table's left border
        var chosen = new List<int>();
        for (var i = 0; i < columns.Count; i++)
        {
            var natural = rows.Select(r => r[i].Length).Append(columns[i].Header.Length).Max();
            var needed = (columns[i].Wraps ? Math.Min(natural, Math.Max(WrapMinimum, columns[i].Header.Length)) : natural) + ColumnChrome;
            if (i == 0 || used + needed <= width)
            {
                chosen.Add(i);
                used += needed;
            }
        }
        return chosen;
    }
}
