namespace Sift.Policy;

public sealed class BusinessClockTests
{
    private static BusinessClock London(string start = "09:00", string end = "17:00") =>
        new(new BusinessHoursPolicy { Start = start, End = end }, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));

    [Theory]
    [InlineData("2026-11-10T09:00:00Z", true)]
    [InlineData("2026-11-10T16:59:00Z", true)]
    [InlineData("2026-11-10T17:00:00Z", false)]
    [InlineData("2026-11-10T08:59:00Z", false)]
    [InlineData("2026-11-14T12:00:00Z", false)]
    [InlineData("2026-07-07T08:30:00Z", true)]
    public void Opening_hours_are_read_in_the_policy_time_zone(string instant, bool open)
    {
        // In July London is on BST (UTC+1), so 08:30 UTC is 09:30 there.
        Assert.Equal(open, London().IsOpen(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Time_before_opening_counts_from_the_opening()
    {
        var sevenAm = new DateTimeOffset(2026, 11, 10, 7, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 10, 10, 0, 0, TimeSpan.Zero), London().AddBusinessMinutes(sevenAm, 60));
    }

    [Fact]
    public void A_deadline_past_friday_closing_continues_on_monday()
    {
        var friday = new DateTimeOffset(2026, 11, 13, 16, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 16, 11, 0, 0, TimeSpan.Zero), London().AddBusinessMinutes(friday, 180));
    }

    [Fact]
    public void A_deadline_across_the_change_to_summer_time_keeps_local_hours()
    {
        // Friday 27 March 2026 16:00 GMT; the clocks go forward on Sunday 29 March; Monday 09:00 BST is 08:00 UTC.
        var friday = new DateTimeOffset(2026, 3, 27, 16, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 3, 30, 9, 0, 0, TimeSpan.Zero), London().AddBusinessMinutes(friday, 120));
    }
}
