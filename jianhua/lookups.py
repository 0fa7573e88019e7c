"""``in`` on integer columns, tolerant of numbers the database cannot hold.

Django already answers "no rows" for ``pk=99999999999999999999`` (its IntegerFieldOverflow on exact and
range lookups), but ``pk__in=[…]`` hands the number to the driver: SQLite's refuses it (OverflowError, a
500). A ModelMultipleChoiceField posts its values through exactly that lookup, so a form field with a
huge id broke the page instead of saying "not one of the choices". Values outside the column's range
can match no row, so they are dropped here (all of them dropped: no rows). Imported once, by
``grids.apps``."""
from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            values = [value for value in self.rhs if not isinstance(value, int) or (
                (low is None or value >= low) and (high is None or value <= high))]
            if not values:
                raise EmptyResultSet
            self.rhs = values
        return super().process_rhs(compiler, connection)
