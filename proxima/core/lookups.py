"""``field__any_of=[...]``: membership in a long list, as one array parameter on PostgreSQL.

``field__in`` with thousands of values sends thousands of parameters, which psycopg must
splice into the query text and PostgreSQL must plan one by one; ``= ANY(%s)`` sends one
array. On SQLite it is a plain ``IN``. Used by the imports, which look up a few thousand
references per chunk.
"""

from django.db.models import Field, ForeignKey, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)  # related fields have their own lookup registry
